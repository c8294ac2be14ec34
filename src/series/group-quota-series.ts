import type { ExporterMetrics } from '../metrics/exporter-metrics.js'
import type { GroupQuotaAlarm } from '../protocol/payloads.js'
import type { SeriesLimits } from './api-series.js'
import { type RecordOutcome, SeriesTable } from './series-table.js'

/** Turns Group.CallbackOnDailyGroupQuotaAlarm callbacks into the `tencent_chat_group_*` series, keyed by app. */
export function createGroupQuotaSeries(metrics: ExporterMetrics, limits: SeriesLimits) {
  const current = [metrics.groupDailyNetIncrease, metrics.groupDailyQuotaUtilizationRatio]
  const all = [...current, metrics.groupDailyQuota, metrics.groupQuotaAlerts]
  const table = new SeriesTable<string>({
    ttlMs: limits.alertTtlSeconds * 1000,
    maxEntries: limits.maxSeries,
    onExpire: (sdkappid) => {
      for (const metric of current) metric.remove({ sdkappid })
    },
    onForget: (sdkappid) => {
      for (const metric of all) metric.remove({ sdkappid })
    },
  })
  const updateTracked = () => metrics.trackedGroupQuotaApps.set(table.size)
  updateTracked()

  return {
    record(sdkappid: string, alarm: GroupQuotaAlarm, nowMs: number): RecordOutcome {
      const outcome = table.record(sdkappid, nowMs)
      if (outcome === 'dropped') return outcome
      metrics.groupDailyNetIncrease.set({ sdkappid }, alarm.quotaUsed)
      metrics.groupDailyQuota.set({ sdkappid }, alarm.quota)
      if (alarm.quota > 0)
        metrics.groupDailyQuotaUtilizationRatio.set({ sdkappid }, alarm.quotaUsed / alarm.quota)
      else metrics.groupDailyQuotaUtilizationRatio.remove({ sdkappid })
      metrics.groupQuotaAlerts.inc({ sdkappid })
      updateTracked()
      return outcome
    },
    sweep(nowMs: number): void {
      table.sweep(nowMs)
      updateTracked()
    },
    get size(): number {
      return table.size
    },
  }
}

export type GroupQuotaSeries = ReturnType<typeof createGroupQuotaSeries>
