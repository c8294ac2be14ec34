import { innerMap } from '../inner-map.js'
import type { RequestOverLimitAlert } from '../protocol/payloads.js'
import { SeriesStore, type StoredRecord } from './series-store.js'
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

/** The stored record of a tracked API: an ApiEntry without `live`, plus its key and labels. */
export type ApiRecord = Omit<ApiEntry, 'live'> &
  StoredRecord & {
    /** `<sdkappid> <service name> <command>`: the API's key in the store and the series table. */
    readonly key: string
  }

/** The records of the tracked APIs by SDKAppID, service name and command: see createApiSeries. */
type ApiIndex = Map<string, Map<string, Map<string, ApiRecord>>>

/** The labels of a tracked API (docs/metrics.md), in the order the exposition shows them. */
const apiLabels = (r: Pick<ApiEntry, 'sdkappid' | 'serviceName' | 'command'>) => ({
  sdkappid: r.sdkappid,
  service_name: r.serviceName,
  command: r.command,
})

/** Turns Alert.RequestOverLimit callbacks into the `tencent_chat_api_*` series and expires them. */
export function createApiSeries(limits: SeriesLimits) {
  // Each tracked API's record, found from an alert's names without building its key: the key of a new
  // API is built once and kept on its record, so that the table and the store look it up by a string
  // whose hash is known. An evicted API leaves the index with the store.
  const index: ApiIndex = new Map()
  const store = new SeriesStore<ApiRecord>({
    hasRatio: (r) => r.limit > 0,
    onForget: (r) => {
      const services = index.get(r.sdkappid)
      const commands = services?.get(r.serviceName)
      commands?.delete(r.command)
      if (commands?.size === 0) services?.delete(r.serviceName)
      if (services?.size === 0) index.delete(r.sdkappid)
    },
  })
  const tracked = createTrackedSeries({ limits, store })
  return {
    record(sdkAppId: string, alert: RequestOverLimitAlert, nowMs: number): RecordOutcome {
      let record = index.get(sdkAppId)?.get(alert.serviceName)?.get(alert.command)
      // Label values never contain a space (docs/callbacks.md), so the key is unambiguous.
      const key = record?.key ?? `${sdkAppId} ${alert.serviceName} ${alert.command}`
      const outcome = tracked.admit(key, nowMs)
      if (outcome === 'dropped') return outcome
      if (record === undefined) {
        const names = { sdkappid: sdkAppId, serviceName: alert.serviceName, command: alert.command }
        record = {
          ...names,
          key,
          request: 0,
          limit: 0,
          alerts: 0,
          lastAlertMs: 0,
          labels: apiLabels(names),
          version: 0,
          shown: 0,
        }
        innerMap(innerMap(index, sdkAppId), alert.serviceName).set(alert.command, record)
      }
      record.request = alert.request
      record.limit = alert.limit
      record.alerts += 1
      record.lastAlertMs = nowMs
      store.alerted(key, record)
      return outcome
    },
    sweep: tracked.sweep,
    /** The records and which of them are shown: what the `tencent_chat_api_*` families expose. */
    store,
    /** The tracked APIs' records by SDKAppID, service name and command (kept to the tracked ones). */
    index: index as ReadonlyMap<string, ReadonlyMap<string, ReadonlyMap<string, ApiRecord>>>,
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
