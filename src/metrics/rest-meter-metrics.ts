import type { Registry } from 'prom-client'
import type { KnownLimits } from '../rest-meter/known-limits.js'
import { METER_FAILURES, METER_REFUSALS } from '../rest-meter/meter-answers.js'
import type { MeteredApis } from '../rest-meter/metered-apis.js'
import * as catalog from './catalog.js'
import { counterOf, gaugeOf, histogramOf } from './instruments.js'

export interface RestMeterMetricSources {
  apis: MeteredApis
  knownLimits: KnownLimits
  /** ALERT_TTL_SECONDS: an API without a call for this long loses its peak and peak utilisation. */
  idleAfterSeconds: number
  nowMs: () => number
  /** Whether API_LIMITS_FILE is set (its reload gauge exists only then). */
  apiLimitsFile: boolean
}

/**
 * The REST meter's metrics, created from their definitions in src/metrics/catalog.ts. Counters and the
 * histogram are recorded by the meter as calls end; the peak, its utilisation and the known limits are
 * read from the meter's table of APIs when a scrape collects them.
 */
export function createRestMeterMetrics(registry: Registry, sources: RestMeterMetricSources) {
  const { apis, knownLimits } = sources
  const requests = counterOf(catalog.restRequests, registry)
  const duration = histogramOf(catalog.restRequestDuration, registry)
  gaugeOf(catalog.restPeakRequestsPerSecond, registry, (gauge) => {
    gauge.reset()
    const nowMs = sources.nowMs()
    for (const api of apis) if (isActive(api, nowMs)) gauge.set(api.labels, api.peak.peak(nowMs))
  })
  const failures = counterOf(catalog.restFailures, registry)
  const inFlight = gaugeOf(catalog.restRequestsInFlight, registry)
  gaugeOf(catalog.apiKnownLimitPerSecond, registry, (gauge) => {
    gauge.reset()
    for (const api of apis) {
      const known = knownLimits.of(api.labels.sdkappid, api.labels.service_name, api.labels.command)
      if (known !== undefined) gauge.set({ ...api.labels, source: known.source }, known.perSecond)
    }
  })
  gaugeOf(catalog.restPeakUtilizationRatio, registry, (gauge) => {
    gauge.reset()
    const nowMs = sources.nowMs()
    for (const api of apis) {
      if (!isActive(api, nowMs)) continue
      const known = knownLimits.of(api.labels.sdkappid, api.labels.service_name, api.labels.command)
      if (known !== undefined) gauge.set(api.labels, api.peak.peak(nowMs) / known.perSecond)
    }
  })
  const rejected = counterOf(catalog.rejectedRestRequests, registry)
  const apiLimitsFileReloaded = sources.apiLimitsFile
    ? gaugeOf(catalog.apiLimitsFileLastReloadSuccessful, registry)
    : undefined
  apiLimitsFileReloaded?.set(1)

  // Every reason starts at 0 so that rate() and alerts see it from the first scrape.
  for (const reason of METER_REFUSALS) rejected.inc({ reason }, 0)

  function isActive(api: { lastCallMs: number; inFlight: number }, nowMs: number): boolean {
    return api.inFlight > 0 || nowMs - api.lastCallMs <= sources.idleAfterSeconds * 1000
  }

  return {
    requests,
    duration,
    failures,
    inFlight,
    rejected,
    apiLimitsFileReloaded,
    /** An API's failure reasons start at 0 with its first call, so that its first failure is an increase. */
    startFailures(labels: { sdkappid: string; service_name: string; command: string }): void {
      for (const reason of METER_FAILURES) failures.inc({ ...labels, reason }, 0)
    },
  }
}

export type RestMeterMetrics = ReturnType<typeof createRestMeterMetrics>
