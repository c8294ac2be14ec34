import type { RejectionReason } from '../protocol/rejection.js'
import type { ApiEntry } from '../series/api-series.js'
import type { GroupQuotaEntry } from '../series/group-quota-series.js'
import type { ActivityRecorder } from './activity.js'

/** Where the status document is served as JSON (http/status-page.ts) and linked from the page. */
export const STATUS_JSON_PATH = '/api/v1/status'

/** `GET /api/v1/status`: the status page's data. Names follow the metrics (docs/metrics.md); times are Unix seconds. */
export interface StatusDocument {
  version: string
  start_time_seconds: number
  mode: 'alarms_only' | 'front_proxy'
  apis: ApiStatus[]
  group_quota: GroupQuotaStatus[]
  callbacks: CallbackStatus[]
  rejections: RejectionStatus[]
}

export interface ApiStatus {
  sdkappid: string
  service_name: string
  command: string
  /** `Request` of the latest alert (the latest known, also once the API is no longer live). */
  requests_per_second: number
  request_limit_per_second: number
  /** Null when the API is no longer live (its QPS is then below 80% and unknown) or its limit is 0. */
  utilization_ratio: number | null
  alerts_total: number
  last_alert_timestamp_seconds: number
  /** Within ALERT_TTL_SECONDS of the latest alert. */
  live: boolean
}

export interface GroupQuotaStatus {
  sdkappid: string
  daily_net_increase: number
  daily_quota: number
  utilization_ratio: number | null
  alerts_total: number
  last_alert_timestamp_seconds: number
  live: boolean
}

export interface CallbackStatus {
  callback_command: string
  accepted_total: number
  last_received_timestamp_seconds: number
}

export interface RejectionStatus {
  reason: RejectionReason
  total: number
  last_timestamp_seconds: number | null
  /** The detail of the latest FAIL answer for this reason, as sent (never a token or a Sign). */
  last_detail: string | null
}

export interface StatusSources {
  version: string
  startedMs: number
  frontProxy: boolean
  apis: (nowMs: number) => Iterable<ApiEntry>
  groupQuota: (nowMs: number) => Iterable<GroupQuotaEntry>
  activity: ActivityRecorder
}

const seconds = (ms: number) => ms / 1000
const ratio = (used: number, limit: number, live: boolean) => (live && limit > 0 ? used / limit : null)

/** Live first; then the highest utilisation (unknown last); then the latest alert; then by name. */
function byConcern<
  T extends { live: boolean; utilization_ratio: number | null; last_alert_timestamp_seconds: number },
>(name: (entry: T) => string) {
  return (a: T, b: T): number =>
    Number(b.live) - Number(a.live) ||
    (b.utilization_ratio ?? -1) - (a.utilization_ratio ?? -1) ||
    b.last_alert_timestamp_seconds - a.last_alert_timestamp_seconds ||
    name(a).localeCompare(name(b))
}

/** Everything the status page shows, as of `nowMs`. Reads the exporter's state; changes nothing. */
export function collectStatus(sources: StatusSources, nowMs: number): StatusDocument {
  const apis: ApiStatus[] = []
  for (const entry of sources.apis(nowMs)) {
    apis.push({
      sdkappid: entry.sdkappid,
      service_name: entry.serviceName,
      command: entry.command,
      requests_per_second: entry.request,
      request_limit_per_second: entry.limit,
      utilization_ratio: ratio(entry.request, entry.limit, entry.live),
      alerts_total: entry.alerts,
      last_alert_timestamp_seconds: seconds(entry.lastAlertMs),
      live: entry.live,
    })
  }
  apis.sort(byConcern((api) => `${api.sdkappid} ${api.service_name} ${api.command}`))

  const groupQuota: GroupQuotaStatus[] = []
  for (const entry of sources.groupQuota(nowMs)) {
    groupQuota.push({
      sdkappid: entry.sdkappid,
      daily_net_increase: entry.quotaUsed,
      daily_quota: entry.quota,
      utilization_ratio: ratio(entry.quotaUsed, entry.quota, entry.live),
      alerts_total: entry.alerts,
      last_alert_timestamp_seconds: seconds(entry.lastAlertMs),
      live: entry.live,
    })
  }
  groupQuota.sort(byConcern((app) => app.sdkappid))

  const callbacks: CallbackStatus[] = []
  for (const [command, entry] of sources.activity.commands) {
    callbacks.push({
      callback_command: command,
      accepted_total: entry.accepted,
      last_received_timestamp_seconds: seconds(entry.lastMs),
    })
  }
  callbacks.sort((a, b) => b.last_received_timestamp_seconds - a.last_received_timestamp_seconds)

  const rejections: RejectionStatus[] = []
  for (const [reason, entry] of sources.activity.rejections) {
    rejections.push({
      reason,
      total: entry.total,
      last_timestamp_seconds: entry.lastMs === undefined ? null : seconds(entry.lastMs),
      last_detail: entry.lastDetail ?? null,
    })
  }
  // The latest first; reasons that never happened after them, in their usual order.
  rejections.sort((a, b) => (b.last_timestamp_seconds ?? 0) - (a.last_timestamp_seconds ?? 0))

  return {
    version: sources.version,
    start_time_seconds: seconds(sources.startedMs),
    mode: sources.frontProxy ? 'front_proxy' : 'alarms_only',
    apis,
    group_quota: groupQuota,
    callbacks,
    rejections,
  }
}
