import { formatLabelBlock } from '../metrics/direct-family.js'
import type { ExporterMetrics } from '../metrics/exporter-metrics.js'
import type { GroupQuotaAlarm } from '../protocol/payloads.js'
import { type FamilySpec, SeriesStore, type StoredRecord } from './series-store.js'
import type { RecordOutcome } from './series-table.js'
import { createTrackedSeries, type SeriesLimits } from './tracked-series.js'

/** What the exporter knows of one app's group quota: the numbers of its latest alarm. */
export interface GroupQuotaEntry {
  sdkappid: string
  /** QuotaUsed of the latest alarm: today's net increase of groups. */
  quotaUsed: number
  /** Quota of the latest alarm. */
  quota: number
  /** Alarms received since the app was first tracked (`tencent_chat_group_quota_alerts_total`). */
  alerts: number
  /** Unix milliseconds at which the latest alarm arrived. */
  lastAlertMs: number
  /** Within ALERT_TTL_SECONDS of the latest alarm: its net increase and utilisation are exposed. */
  live: boolean
}

export type GroupQuotaRecord = Omit<GroupQuotaEntry, 'live'> & StoredRecord

export type GroupQuotaFamily =
  | 'tencent_chat_group_daily_net_increase'
  | 'tencent_chat_group_daily_quota'
  | 'tencent_chat_group_daily_quota_utilization_ratio'
  | 'tencent_chat_group_quota_alerts_total'

/** The store of the `tencent_chat_group_*` families, registered by createExporterMetrics. */
export function createGroupQuotaStore(help: Record<GroupQuotaFamily, string>): SeriesStore<GroupQuotaRecord> {
  const family = (
    name: GroupQuotaFamily,
    type: 'counter' | 'gauge',
    presence: FamilySpec<GroupQuotaRecord>['presence'],
    value: (r: GroupQuotaRecord) => number,
  ): FamilySpec<GroupQuotaRecord> => ({ name, help: help[name], type, presence, value })
  return new SeriesStore<GroupQuotaRecord>({
    labelsOf: (r) => ({ sdkappid: r.sdkappid }),
    hasRatio: (r) => r.quota > 0,
    families: [
      family('tencent_chat_group_daily_net_increase', 'gauge', 'live', (r) => r.quotaUsed),
      family('tencent_chat_group_daily_quota', 'gauge', 'kept', (r) => r.quota),
      family(
        'tencent_chat_group_daily_quota_utilization_ratio',
        'gauge',
        'ratio',
        (r) => r.quotaUsed / r.quota,
      ),
      family('tencent_chat_group_quota_alerts_total', 'counter', 'kept', (r) => r.alerts),
    ],
  })
}

/** Turns Group.CallbackOnDailyGroupQuotaAlarm callbacks into the `tencent_chat_group_*` series, keyed by app. */
export function createGroupQuotaSeries(metrics: ExporterMetrics, limits: SeriesLimits) {
  const store = metrics.groupQuotaStore
  const tracked = createTrackedSeries({ limits, store, tracked: metrics.trackedGroupQuotaApps })
  return {
    record(sdkappid: string, alarm: GroupQuotaAlarm, nowMs: number): RecordOutcome {
      const outcome = tracked.admit(sdkappid, nowMs)
      if (outcome === 'dropped') return outcome
      let record = store.get(sdkappid)
      if (record === undefined) {
        record = {
          sdkappid,
          quotaUsed: 0,
          quota: 0,
          alerts: 0,
          lastAlertMs: 0,
          labelBlock: formatLabelBlock({ sdkappid }),
          texts: undefined,
          shown: 0,
        }
      }
      record.quotaUsed = alarm.quotaUsed
      record.quota = alarm.quota
      record.alerts += 1
      record.lastAlertMs = nowMs
      store.alerted(sdkappid, record)
      return outcome
    },
    sweep: tracked.sweep,
    /** Every tracked app as of `nowMs` (expired ones swept first), as fresh plain records: see ApiSeries. */
    *entries(nowMs: number): Generator<GroupQuotaEntry> {
      tracked.sweep(nowMs)
      for (const [key, r] of store.entries()) {
        yield {
          sdkappid: r.sdkappid,
          quotaUsed: r.quotaUsed,
          quota: r.quota,
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

export type GroupQuotaSeries = ReturnType<typeof createGroupQuotaSeries>
