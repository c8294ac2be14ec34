import { Registry } from 'prom-client'
import { createAuthenticator } from '../../src/auth/authenticate.js'
import { createCallbackTokens } from '../../src/auth/callback-tokens.js'
import { defaultConfig } from '../../src/config/config.js'
import { createExporterMetrics } from '../../src/metrics/exporter-metrics.js'
import { parseCallbackQuery } from '../../src/protocol/callback-query.js'
import { parsePayload, type RequestOverLimitAlert } from '../../src/protocol/payloads.js'
import { createApiSeries } from '../../src/series/api-series.js'
import { createGroupQuotaSeries } from '../../src/series/group-quota-series.js'
import { alertBody, apiCatalog, signedPath, TOKEN } from '../lib/callbacks.js'
import { round } from '../lib/stats.js'

export interface StepCost {
  step: string
  /** CPU time per call, in microseconds, in a warm loop over 300 APIs. */
  micros: number
}

/**
 * The exporter's own work on a callback, step by step, timed in a loop in this process (CPU time, after
 * a warm-up): what the exporter adds on top of the Koa floor, before HTTP, GC and cache effects.
 */
export function benchSteps(iterations: number): StepCost[] {
  const apis = apiCatalog(300)
  const sdkAppIds = new Set(apis.map((api) => api.sdkAppId))
  const config = defaultConfig({ callbackToken: TOKEN, sdkAppIds, maxSeries: 2000 })
  const authenticate = createAuthenticator({
    ...config,
    callbackTokens: createCallbackTokens('CALLBACK_TOKEN', [TOKEN]),
  })
  const series = createApiSeries(config)
  const metrics = createExporterMetrics(new Registry(), {
    version: 'bench',
    alertTtlSeconds: config.alertTtlSeconds,
    maxSeries: config.maxSeries,
    api: series,
    groupQuota: createGroupQuotaSeries(config),
    callbackTokens: () => 1,
    tokenFile: false,
    frontProxy: false,
  })
  const rawQuery = signedPath(apis[0]?.sdkAppId as string).split('?')[1] as string
  const query = parseCallbackQuery(rawQuery)
  const bodies = apis.map((api) => Buffer.from(alertBody(api, 180)))
  const json = bodies.map((body) => JSON.parse(body.toString('utf8')) as unknown)
  const alerts = json.map((body) => {
    const payload = parsePayload('Alert.RequestOverLimit', body)
    return (payload as { alert: RequestOverLimitAlert }).alert
  })
  const labels = { sdkappid: query.sdkAppId, callback_command: query.callbackCommand }
  const duration = { route: '/callback', method: 'POST', status: '200' }

  const steps: Array<[string, (i: number) => unknown]> = [
    ['parseCallbackQuery (raw query string)', () => parseCallbackQuery(rawQuery)],
    ['authenticate (allow-list, skew, Sign)', () => authenticate(query, Date.now())],
    ['parsePayload', (i) => parsePayload('Alert.RequestOverLimit', json[i % json.length])],
    [
      'series record (table + store)',
      (i) => series.record(query.sdkAppId, alerts[i % 300] as RequestOverLimitAlert, Date.now()),
    ],
    ['callbacks counter', () => metrics.callbacks.inc(labels)],
    ['request-duration histogram', () => metrics.httpRequestDuration.observe(duration, 0.0004)],
  ]
  return steps.map(([step, run]) => {
    for (let i = 0; i < Math.min(iterations, 20_000); i++) run(i)
    const before = process.cpuUsage()
    for (let i = 0; i < iterations; i++) run(i)
    const used = process.cpuUsage(before)
    return { step, micros: round((used.user + used.system) / iterations, 2) }
  })
}
