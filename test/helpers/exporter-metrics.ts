import { Registry } from 'prom-client'
import { createExporterMetrics, type ExporterMetricSources } from '../../src/metrics/exporter-metrics.js'
import { createApiSeries } from '../../src/series/api-series.js'
import { createGroupQuotaSeries } from '../../src/series/group-quota-series.js'
import type { SeriesLimits } from '../../src/series/tracked-series.js'

/**
 * The alarm series and the callback side's metrics on a registry of their own, as createExporter wires
 * them, without a server: for tests of the series and of the exposition.
 */
export function seriesWithMetrics(
  limits: SeriesLimits,
  sources: Partial<Omit<ExporterMetricSources, 'api' | 'groupQuota'>> = {},
) {
  const registry = new Registry()
  const api = createApiSeries(limits)
  const groupQuota = createGroupQuotaSeries(limits)
  const metrics = createExporterMetrics(registry, {
    version: 'test',
    alertTtlSeconds: limits.alertTtlSeconds,
    maxSeries: limits.maxSeries,
    callbackTokens: () => 0,
    tokenFile: false,
    frontProxy: false,
    ...sources,
    api,
    groupQuota,
  })
  return { registry, metrics, api, groupQuota }
}
