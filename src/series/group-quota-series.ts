import type { ExporterMetrics } from '../metrics/exporter-metrics.js'
import type { GroupQuotaAlarm } from '../protocol/payloads.js'
import type { RecordOutcome } from './series-table.js'
import { createTrackedSeries, type SeriesLimits } from './tracked-series.js'

type AppLabels = { sdkappid: string }

/** Turns Group.CallbackOnDailyGroupQuotaAlarm callbacks into the `tencent_chat_group_*` series, keyed by app. */
export function createGroupQuotaSeries(metrics: ExporterMetrics, limits: SeriesLimits) {
  const tracked = createTrackedSeries<AppLabels>({
    limits,
    keyOf: (labels) => labels.sdkappid,
    labelsOf: (sdkappid) => ({ sdkappid }),
    current: [metrics.groupDailyNetIncrease, metrics.groupDailyQuotaUtilizationRatio],
    kept: [metrics.groupDailyQuota, metrics.groupQuotaAlerts],
    tracked: metrics.trackedGroupQuotaApps,
  })
  return {
    record(sdkappid: string, alarm: GroupQuotaAlarm, nowMs: number): RecordOutcome {
      const labels = { sdkappid }
      return tracked.record(labels, nowMs, () => {
        metrics.groupDailyNetIncrease.set(labels, alarm.quotaUsed)
        metrics.groupDailyQuota.set(labels, alarm.quota)
        if (alarm.quota > 0)
          metrics.groupDailyQuotaUtilizationRatio.set(labels, alarm.quotaUsed / alarm.quota)
        else metrics.groupDailyQuotaUtilizationRatio.remove(labels)
        metrics.groupQuotaAlerts.inc(labels)
      })
    },
    sweep: tracked.sweep,
  }
}

export type GroupQuotaSeries = ReturnType<typeof createGroupQuotaSeries>
