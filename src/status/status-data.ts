import { setImmediate as nextTurn } from 'node:timers/promises'
import type { RejectionReason } from '../protocol/rejection.js'
import type { ApiEntry } from '../series/api-series.js'
import type { GroupQuotaEntry } from '../series/group-quota-series.js'
import type { ActivityRecorder } from './activity.js'
import {
  collectRestMeter,
  type RestApiStatus,
  type RestMeterSource,
  type RestMeterSummary,
} from './rest-meter-status.js'

/** Where the status document is served as JSON (http/status-page.ts) and linked from the page. */
export const STATUS_JSON_PATH = '/api/v1/status'

/**
 * Everything the status page shows: every tracked API and app and every command, in the page's order.
 * Names follow the metrics (docs/metrics.md); times are Unix seconds. `/api/v1/status` serves it a page
 * at a time (StatusJson).
 */
export interface StatusDocument {
  version: string
  start_time_seconds: number
  mode: 'alarms_only' | 'front_proxy'
  /** The REST meter: `{ enabled: false }` without EGRESS_PORT. */
  rest_meter: RestMeterSummary
  apis: ApiStatus[]
  /** Each API the REST meter has seen (none when it is off). */
  rest_apis: RestApiStatus[]
  group_quota: GroupQuotaStatus[]
  callbacks: CallbackStatus[]
  rejections: RejectionStatus[]
}

/** At most this many entries of each list in one answer of `/api/v1/status`, and this many by default. */
export const STATUS_JSON_LIMITS = { max: 500, default: 100 } as const

/**
 * `GET /api/v1/status?offset=…&limit=…`: the document with `apis`, `rest_apis`, `group_quota` and `callbacks` each cut
 * to the entries from `offset` (default 0), at most `limit` of them (default 100, at most 500);
 * `totals` says how many there are in all. The rejections (one entry per reason) are always all there.
 */
export interface StatusJson extends StatusDocument {
  offset: number
  limit: number
  totals: { apis: number; rest_apis: number; group_quota: number; callbacks: number }
}

/**
 * A utilisation: a ratio; `"+Inf"` when the QPS is so far above the limit that the ratio is beyond
 * every number (the metric's `+Inf`; JSON has no infinity); `null` when it is not known (the API is no
 * longer live, or its limit is 0).
 */
export type Utilization = number | '+Inf' | null

export interface ApiStatus {
  sdkappid: string
  service_name: string
  command: string
  /** `Request` of the latest alert (the latest known, also once the API is no longer live). */
  requests_per_second: number
  request_limit_per_second: number
  /** Null when the API is no longer live (its QPS is then below 80% and unknown) or its limit is 0. */
  utilization_ratio: Utilization
  alerts_total: number
  last_alert_timestamp_seconds: number
  /** Within ALERT_TTL_SECONDS of the latest alert. */
  live: boolean
}

export interface GroupQuotaStatus {
  sdkappid: string
  daily_net_increase: number
  daily_quota: number
  utilization_ratio: Utilization
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
  /** The REST meter's state when EGRESS_PORT is set. */
  restMeter?: RestMeterSource | undefined
}

const seconds = (ms: number) => ms / 1000

function ratio(used: number, limit: number, live: boolean): Utilization {
  if (!live || limit <= 0) return null
  const value = used / limit
  return Number.isFinite(value) ? value : '+Inf'
}

/** The utilisation as a number to sort by: unknown below every ratio, `+Inf` above. */
const sortable = (value: Utilization) => (value === null ? -1 : value === '+Inf' ? Infinity : value)

/**
 * Live first; then the highest utilisation (unknown last); then the latest alert; then by name. Names
 * are label values (ASCII), compared by code unit: `localeCompare` is many times slower, and when 2,000
 * APIs alerted in the same millisecond it decides most of a sort's comparisons.
 */
function byConcern<
  T extends { live: boolean; utilization_ratio: Utilization; last_alert_timestamp_seconds: number },
>(byName: (a: T, b: T) => number) {
  return (a: T, b: T): number =>
    Number(b.live) - Number(a.live) ||
    // Infinity − Infinity is NaN, which || passes over like 0.
    sortable(b.utilization_ratio) - sortable(a.utilization_ratio) ||
    b.last_alert_timestamp_seconds - a.last_alert_timestamp_seconds ||
    byName(a, b)
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Everything the status page shows, as of `nowMs`. Reads the exporter's state; changes nothing. Each
 * list is read and sorted in one turn of the event loop, with a turn between them (at the caps, 2,000
 * entries each), so that callbacks are answered in between.
 */
export async function collectStatus(sources: StatusSources, nowMs: number): Promise<StatusDocument> {
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
  apis.sort(
    byConcern(
      (a, b) =>
        compareText(a.sdkappid, b.sdkappid) ||
        compareText(a.service_name, b.service_name) ||
        compareText(a.command, b.command),
    ),
  )
  await nextTurn()

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
  groupQuota.sort(byConcern((a, b) => compareText(a.sdkappid, b.sdkappid)))
  await nextTurn()

  const restMeter = collectRestMeter(sources.restMeter, nowMs)
  await nextTurn()

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
    rest_meter: restMeter.summary,
    apis,
    rest_apis: restMeter.apis,
    group_quota: groupQuota,
    callbacks,
    rejections,
  }
}

/** One answer of `/api/v1/status`: the lists cut to `limit` entries from `offset` (STATUS_JSON_LIMITS). */
export function statusJsonPage(doc: StatusDocument, offset: number, limit: number): StatusJson {
  const page = <T>(list: T[]) => list.slice(offset, offset + limit)
  return {
    version: doc.version,
    start_time_seconds: doc.start_time_seconds,
    mode: doc.mode,
    rest_meter: doc.rest_meter,
    offset,
    limit,
    totals: {
      apis: doc.apis.length,
      rest_apis: doc.rest_apis.length,
      group_quota: doc.group_quota.length,
      callbacks: doc.callbacks.length,
    },
    apis: page(doc.apis),
    rest_apis: page(doc.rest_apis),
    group_quota: page(doc.group_quota),
    callbacks: page(doc.callbacks),
    rejections: doc.rejections,
  }
}
