import { formatLabelBlock } from '../metrics/direct-family.js'
import type { ExporterMetrics } from '../metrics/exporter-metrics.js'
import type { RequestOverLimitAlert } from '../protocol/payloads.js'
import { type FamilySpec, SeriesStore, type StoredRecord } from './series-store.js'
import type { RecordOutcome } from './series-table.js'
import { createTrackedSeries, type SeriesLimits } from './tracked-series.js'

/** What the exporter knows of one tracked API: the numbers of its latest Alert.RequestOverLimit. */
export interface ApiEntry {
  sdkappid: string
  serviceName: string
  command: string
  /** QPS of the latest alert (still the latest known once the API is no longer live). */
  request: number
  /** QPS limit of the latest alert. */
  limit: number
  /** Alerts received since the API was first tracked (`tencent_chat_api_overlimit_alerts_total`). */
  alerts: number
  /** Unix milliseconds at which the latest alert arrived. */
  lastAlertMs: number
  /** Within ALERT_TTL_SECONDS of the latest alert: its QPS and utilisation are exposed. */
  live: boolean
}

/** The stored record of a tracked API: an ApiEntry without `live`, plus its label block. */
export type ApiRecord = Omit<ApiEntry, 'live'> & StoredRecord

/** The store of the `tencent_chat_api_*` families, registered by createExporterMetrics. */
export function createApiStore(help: Record<ApiFamily, string>): SeriesStore<ApiRecord> {
  const families: FamilySpec<ApiRecord>[] = [
    family('tencent_chat_api_requests_per_second', 'gauge', 'live', (r) => r.request),
    family('tencent_chat_api_request_limit_per_second', 'gauge', 'kept', (r) => r.limit),
    family('tencent_chat_api_utilization_ratio', 'gauge', 'ratio', (r) => r.request / r.limit),
    family('tencent_chat_api_overlimit_alerts_total', 'counter', 'kept', (r) => r.alerts),
    family('tencent_chat_api_last_alert_timestamp_seconds', 'gauge', 'kept', (r) => r.lastAlertMs / 1000),
  ]
  function family(
    name: ApiFamily,
    type: 'counter' | 'gauge',
    presence: FamilySpec<ApiRecord>['presence'],
    value: (r: ApiRecord) => number,
  ): FamilySpec<ApiRecord> {
    return { name, help: help[name], type, presence, value }
  }
  return new SeriesStore<ApiRecord>({ labelsOf: apiLabels, hasRatio: (r) => r.limit > 0, families })
}

export type ApiFamily =
  | 'tencent_chat_api_requests_per_second'
  | 'tencent_chat_api_request_limit_per_second'
  | 'tencent_chat_api_utilization_ratio'
  | 'tencent_chat_api_overlimit_alerts_total'
  | 'tencent_chat_api_last_alert_timestamp_seconds'

/** The labels of a tracked API (SPEC §2), in the order the exposition shows them. */
const apiLabels = (r: Pick<ApiEntry, 'sdkappid' | 'serviceName' | 'command'>) => ({
  sdkappid: r.sdkappid,
  service_name: r.serviceName,
  command: r.command,
})

/** Turns Alert.RequestOverLimit callbacks into the `tencent_chat_api_*` series and expires them. */
export function createApiSeries(metrics: ExporterMetrics, limits: SeriesLimits) {
  const store = metrics.apiStore
  const tracked = createTrackedSeries({ limits, store, tracked: metrics.trackedApis })
  return {
    record(sdkAppId: string, alert: RequestOverLimitAlert, nowMs: number): RecordOutcome {
      // Label values never contain a space (SPEC §3), so the key is unambiguous.
      const key = `${sdkAppId} ${alert.serviceName} ${alert.command}`
      const outcome = tracked.admit(key, nowMs)
      if (outcome === 'dropped') return outcome
      let record = store.get(key)
      if (record === undefined) {
        const names = { sdkappid: sdkAppId, serviceName: alert.serviceName, command: alert.command }
        record = {
          ...names,
          request: 0,
          limit: 0,
          alerts: 0,
          lastAlertMs: 0,
          labelBlock: formatLabelBlock(apiLabels(names)),
          texts: undefined,
        }
      }
      record.request = alert.request
      record.limit = alert.limit
      record.alerts += 1
      record.lastAlertMs = nowMs
      store.alerted(key, record)
      return outcome
    },
    sweep: tracked.sweep,
    /**
     * Every tracked API as of `nowMs` (expired ones swept first), as plain records in the order of the
     * exposition: for readers other than `/metrics` (a status page). Each call yields fresh objects.
     */
    *entries(nowMs: number): Generator<ApiEntry> {
      tracked.sweep(nowMs)
      for (const [key, r] of store.entries()) {
        yield {
          sdkappid: r.sdkappid,
          serviceName: r.serviceName,
          command: r.command,
          request: r.request,
          limit: r.limit,
          alerts: r.alerts,
          lastAlertMs: r.lastAlertMs,
          live: store.isLive(key),
        }
      }
    },
    get size(): number {
      return tracked.size
    },
  }
}

export type ApiSeries = ReturnType<typeof createApiSeries>
