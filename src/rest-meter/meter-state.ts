import type { Registry } from 'prom-client'
import type { Clock } from '../clock.js'
import type { ApiLimitsFileConfig } from '../config/config.js'
import { watchFile } from '../files/file-watcher.js'
import type { Logger } from '../logging/logger.js'
import { createRestMeterMetrics } from '../metrics/rest-meter-metrics.js'
import { MAX_API_LIMITS_FILE_BYTES, parseApiLimits } from './api-limits-file.js'
import { KnownLimits } from './known-limits.js'
import { MeteredApis } from './metered-apis.js'

/**
 * What the REST meter knows, apart from forwarding: the APIs it has seen and their calls, the known
 * limits, and their metrics. The callback side tells it of alarms; the status page and `/metrics` read
 * it; the meter's listener (src/rest-meter/rest-meter.ts, which loads undici) records into it.
 */
export function createMeterState(deps: {
  registry: Registry
  maxSeries: number
  alertTtlSeconds: number
  apiLimitsFile: ApiLimitsFileConfig | undefined
  logger: Logger
  clock: Clock
}) {
  const { logger, clock, apiLimitsFile } = deps
  const apis = new MeteredApis(deps.maxSeries)
  const knownLimits = new KnownLimits({ configured: apiLimitsFile?.limits, maxAlarms: deps.maxSeries })
  const metrics = createRestMeterMetrics(deps.registry, {
    apis,
    knownLimits,
    idleAfterSeconds: deps.alertTtlSeconds,
    nowMs: () => clock.now(),
    apiLimitsFile: apiLimitsFile !== undefined,
  })
  const watcher =
    apiLimitsFile &&
    watchFile({
      path: apiLimitsFile.path,
      variable: 'API_LIMITS_FILE',
      maxBytes: MAX_API_LIMITS_FILE_BYTES,
      initialContent: apiLimitsFile.content,
      logger,
      onChange(read) {
        const parsed = read.ok ? parseApiLimits(read.content) : read
        if (!parsed.ok) {
          metrics.apiLimitsFileReloaded?.set(0)
          logger.error(
            { path: apiLimitsFile.path, problem: parsed.problem },
            'API_LIMITS_FILE changed but cannot be used: the limits read before are kept',
          )
          return
        }
        knownLimits.configure(parsed.limits)
        metrics.apiLimitsFileReloaded?.set(1)
        logger.info({ path: apiLimitsFile.path, apis: parsed.limits.size }, 'API_LIMITS_FILE reloaded')
      },
    })
  return { apis, knownLimits, metrics, close: () => watcher?.close() }
}

export type MeterState = ReturnType<typeof createMeterState>
