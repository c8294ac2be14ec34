import type { ApiLabels, ExporterMetrics } from '../metrics/exporter-metrics.js'
import type { RequestOverLimitAlert } from '../protocol/payloads.js'
import type { RecordOutcome } from './series-table.js'
import { createTrackedSeries, type SeriesLimits } from './tracked-series.js'

// Label values never contain a space (SPEC §3), so a space-joined key splits back unambiguously.
const apiKey = (labels: ApiLabels) => `${labels.sdkappid} ${labels.service_name} ${labels.command}`
function apiLabels(key: string): ApiLabels {
  const [sdkappid = '', service_name = '', command = ''] = key.split(' ')
  return { sdkappid, service_name, command }
}

/** Turns Alert.RequestOverLimit callbacks into the `tencent_chat_api_*` series and expires them. */
export function createApiSeries(metrics: ExporterMetrics, limits: SeriesLimits) {
  const tracked = createTrackedSeries<ApiLabels>({
    limits,
    keyOf: apiKey,
    labelsOf: apiLabels,
    current: [metrics.apiRequestsPerSecond, metrics.apiUtilizationRatio],
    kept: [metrics.apiRequestLimitPerSecond, metrics.apiOverlimitAlerts, metrics.apiLastAlertTimestamp],
    tracked: metrics.trackedApis,
  })
  return {
    record(sdkAppId: string, alert: RequestOverLimitAlert, nowMs: number): RecordOutcome {
      const labels: ApiLabels = {
        sdkappid: sdkAppId,
        service_name: alert.serviceName,
        command: alert.command,
      }
      return tracked.record(labels, nowMs, () => {
        metrics.apiRequestsPerSecond.set(labels, alert.request)
        metrics.apiRequestLimitPerSecond.set(labels, alert.limit)
        if (alert.limit > 0) metrics.apiUtilizationRatio.set(labels, alert.request / alert.limit)
        else metrics.apiUtilizationRatio.remove(labels)
        metrics.apiOverlimitAlerts.inc(labels)
        metrics.apiLastAlertTimestamp.set(labels, nowMs / 1000)
      })
    },
    sweep: tracked.sweep,
  }
}

export type ApiSeries = ReturnType<typeof createApiSeries>
