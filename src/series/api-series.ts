import type { ApiLabels, ExporterMetrics } from '../metrics/exporter-metrics.js'
import type { RequestOverLimitAlert } from '../protocol/payloads.js'
import { type RecordOutcome, SeriesTable } from './series-table.js'

export interface SeriesLimits {
  alertTtlSeconds: number
  maxSeries: number
}

// Label values never contain a space (SPEC §3), so a space-joined key splits back unambiguously.
const apiKey = (labels: ApiLabels) => `${labels.sdkappid} ${labels.service_name} ${labels.command}`
function apiLabels(key: string): ApiLabels {
  const [sdkappid = '', service_name = '', command = ''] = key.split(' ')
  return { sdkappid, service_name, command }
}

/** Turns Alert.RequestOverLimit callbacks into the `tencent_chat_api_*` series and expires them. */
export function createApiSeries(metrics: ExporterMetrics, limits: SeriesLimits) {
  const current = [metrics.apiRequestsPerSecond, metrics.apiUtilizationRatio]
  const all = [
    ...current,
    metrics.apiRequestLimitPerSecond,
    metrics.apiOverlimitAlerts,
    metrics.apiLastAlertTimestamp,
  ]
  const table = new SeriesTable<string>({
    ttlMs: limits.alertTtlSeconds * 1000,
    maxEntries: limits.maxSeries,
    onExpire: (key) => {
      const labels = apiLabels(key)
      for (const metric of current) metric.remove(labels)
    },
    onForget: (key) => {
      const labels = apiLabels(key)
      for (const metric of all) metric.remove(labels)
    },
  })
  const updateTracked = () => metrics.trackedApis.set(table.size)
  updateTracked()

  return {
    record(sdkAppId: string, alert: RequestOverLimitAlert, nowMs: number): RecordOutcome {
      const labels: ApiLabels = {
        sdkappid: sdkAppId,
        service_name: alert.serviceName,
        command: alert.command,
      }
      const outcome = table.record(apiKey(labels), nowMs)
      if (outcome === 'dropped') return outcome
      metrics.apiRequestsPerSecond.set(labels, alert.request)
      metrics.apiRequestLimitPerSecond.set(labels, alert.limit)
      if (alert.limit > 0) metrics.apiUtilizationRatio.set(labels, alert.request / alert.limit)
      else metrics.apiUtilizationRatio.remove(labels)
      metrics.apiOverlimitAlerts.inc(labels)
      metrics.apiLastAlertTimestamp.set(labels, nowMs / 1000)
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

export type ApiSeries = ReturnType<typeof createApiSeries>
