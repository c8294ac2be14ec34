import type { GroupQuotaAlarm } from '../protocol/payloads.js'
import { SeriesStore, type StoredRecord } from './series-store.js'
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

/** Turns Group.CallbackOnDailyGroupQuotaAlarm callbacks into the `tencent_chat_group_*` series, keyed by app. */
export function createGroupQuotaSeries(limits: SeriesLimits) {
  const store = new SeriesStore<GroupQuotaRecord>({ hasRatio: (r) => r.quota > 0 })
  const tracked = createTrackedSeries({ limits, store })
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
          labels: { sdkappid },
          version: 0,
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
    /** The records and which of them are shown: what the `tencent_chat_group_*` families expose. */
    store,
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
