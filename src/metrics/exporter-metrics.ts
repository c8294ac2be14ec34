import type { Registry } from 'prom-client'
import { REJECTION_REASONS } from '../protocol/rejection.js'
import type { ApiRecord, ApiSeries } from '../series/api-series.js'
import type { GroupQuotaRecord, GroupQuotaSeries } from '../series/group-quota-series.js'
import * as catalog from './catalog.js'
import { counterOf, gaugeOf, histogramOf } from './instruments.js'
import { registerStoreFamilies } from './store-family.js'

export const DROP_REASONS = ['series_limit'] as const

export interface ExporterMetricSources {
  version: string
  alertTtlSeconds: number
  maxSeries: number
  api: ApiSeries
  groupQuota: GroupQuotaSeries
  /** How many callback tokens are in force (0: Sign checks are off). */
  callbackTokens: () => number
  /** Whether the tokens come from CALLBACK_TOKEN_FILE, the one source that is re-read. */
  tokenFile: boolean
  /** Whether front-proxy mode (UPSTREAM_URL) is on. */
  frontProxy: boolean
}

/**
 * The callback side's metrics, created from their definitions in src/metrics/catalog.ts and registered on
 * `registry` in the order `/metrics` shows them: the alarm series (store families over the series'
 * records), then the exporter's own, the token metrics, and front-proxy mode's when it is on.
 */
export function createExporterMetrics(registry: Registry, sources: ExporterMetricSources) {
  registerStoreFamilies<ApiRecord>(registry, sources.api.store, [
    { definition: catalog.apiRequestsPerSecond, presence: 'live', value: (r) => r.request },
    { definition: catalog.apiRequestLimitPerSecond, presence: 'kept', value: (r) => r.limit },
    { definition: catalog.apiUtilizationRatio, presence: 'ratio', value: (r) => r.request / r.limit },
    { definition: catalog.apiOverlimitAlerts, presence: 'kept', value: (r) => r.alerts },
    { definition: catalog.apiLastAlertTimestamp, presence: 'kept', value: (r) => r.lastAlertMs / 1000 },
  ])
  registerStoreFamilies<GroupQuotaRecord>(registry, sources.groupQuota.store, [
    { definition: catalog.groupDailyNetIncrease, presence: 'live', value: (r) => r.quotaUsed },
    { definition: catalog.groupDailyQuota, presence: 'kept', value: (r) => r.quota },
    {
      definition: catalog.groupDailyQuotaUtilizationRatio,
      presence: 'ratio',
      value: (r) => r.quotaUsed / r.quota,
    },
    { definition: catalog.groupQuotaAlerts, presence: 'kept', value: (r) => r.alerts },
  ])

  const callbacks = counterOf(catalog.callbacks, registry)
  const rejectedCallbacks = counterOf(catalog.rejectedCallbacks, registry)
  const droppedAlerts = counterOf(catalog.droppedAlerts, registry)
  gaugeOf(catalog.trackedApis, registry, (g) => g.set(sources.api.size))
  gaugeOf(catalog.trackedGroupQuotaApps, registry, (g) => g.set(sources.groupQuota.size))
  gaugeOf(catalog.maxSeries, registry).set(sources.maxSeries)
  gaugeOf(catalog.alertTtlSeconds, registry).set(sources.alertTtlSeconds)
  gaugeOf(catalog.buildInfo, registry).set({ version: sources.version, nodejs_version: process.version }, 1)
  const httpRequestDuration = histogramOf(catalog.httpRequestDuration, registry)
  gaugeOf(catalog.callbackTokens, registry, (g) => g.set(sources.callbackTokens()))
  const tokenFile = sources.tokenFile ? tokenFileMetrics(registry) : undefined
  const upstream = sources.frontProxy ? upstreamMetrics(registry) : undefined

  // Every reason starts at 0 so that rate() and alerts see it from the first scrape.
  for (const reason of Object.keys(REJECTION_REASONS)) rejectedCallbacks.inc({ reason }, 0)
  for (const reason of DROP_REASONS) droppedAlerts.inc({ reason }, 0)
  return { callbacks, rejectedCallbacks, droppedAlerts, httpRequestDuration, tokenFile, upstream }
}

/** Named after Prometheus's own `prometheus_config_last_reload_*`. */
function tokenFileMetrics(registry: Registry) {
  return {
    lastReloadSuccessful: gaugeOf(catalog.tokenFileLastReloadSuccessful, registry),
    lastReloadSuccessTimestamp: gaugeOf(catalog.tokenFileLastReloadSuccessTimestamp, registry),
    reloadFailures: counterOf(catalog.tokenFileReloadFailures, registry),
  }
}

function upstreamMetrics(registry: Registry) {
  return {
    requests: counterOf(catalog.upstreamRequests, registry),
    duration: histogramOf(catalog.upstreamRequestDuration, registry),
    decisions: counterOf(catalog.callbackDecisions, registry),
  }
}

export type ExporterMetrics = ReturnType<typeof createExporterMetrics>
export type TokenFileMetrics = ReturnType<typeof tokenFileMetrics>
export type UpstreamMetrics = ReturnType<typeof upstreamMetrics>
