import Router from '@koa/router'
import Koa from 'koa'
import { collectDefaultMetrics, type Registry } from 'prom-client'
import type { CallbackTokens } from './auth/callback-tokens.js'
import type { Clock } from './clock.js'
import type { Config } from './config/config.js'
import {
  answerOk,
  type CallbackActivity,
  type CallbackResponder,
  createCallbackHandler,
} from './http/callback-route.js'
import { everyRequest } from './http/every-request.js'
import { createMetricsHandler } from './http/metrics-route.js'
import { oneAtATime } from './http/one-at-a-time.js'
import { addProbeRoutes, PROBE_PATHS, type Readiness } from './http/probe-routes.js'
import { sendDeadline } from './http/send-deadline.js'
import { addStatusPointer, addStatusRoutes } from './http/status-page.js'
import type { Logger } from './logging/logger.js'
import { createExporterMetrics, type ExporterMetrics } from './metrics/exporter-metrics.js'
import type { UpstreamOutcome } from './proxy/upstream-recorder.js'
import { createMeterState, type MeterState } from './rest-meter/meter-state.js'
import { type ApiSeries, createApiSeries } from './series/api-series.js'
import { createGroupQuotaSeries, type GroupQuotaSeries } from './series/group-quota-series.js'
import { createActivityRecorder } from './status/activity.js'
import { collectStatus } from './status/status-data.js'
import { callbackTokensOf, watchCallbackTokens } from './tokens/callback-token-source.js'
import { VERSION } from './version.js'
import { webConfigMiddleware } from './web-config/web-config-middleware.js'

export interface ExporterDeps {
  config: Config
  /** Each exporter (and each test) brings its own registry. */
  registry: Registry
  logger: Logger
  clock: Clock
  /** Whether to add prom-client's process and Node.js metrics (default true). */
  defaultMetrics?: boolean
  /**
   * How accepted callbacks are answered; front-proxy mode (`config.upstream`) passes one that forwards
   * to the app and records front-proxy mode's metrics.
   */
  createResponder?: (
    metrics: ExporterMetrics,
    /** For a responder that forwards callbacks: tell it how each ended (the status page shows them). */
    observeUpstream: (outcome: UpstreamOutcome, nowMs: number) => void,
  ) => CallbackResponder
  /** Told of every accepted and rejected callback (e.g. by a status page); optional. */
  activity?: CallbackActivity
}

export interface Exporter {
  /** Serves callbacks, probes, and `/metrics` and the status page unless a metrics app exists. */
  app: Koa
  /** Serves `/metrics`, the status page and probes when METRICS_PORT is set. */
  metricsApp: Koa | undefined
  readiness: Readiness
  metrics: ExporterMetrics
  /** The tracked series, readable with `entries(nowMs)` (e.g. by a status page). */
  series: { api: ApiSeries; groupQuota: GroupQuotaSeries }
  /** The REST meter's records and metrics when EGRESS_PORT is set (its listener: listenRestMeter). */
  restMeter: MeterState | undefined
  /** The tokens a Sign may match now (`current.length` of them); `undefined` when Sign checks are off. */
  callbackTokens: CallbackTokens | undefined
  /** Stops the background work (the file watchers); the listeners are the caller's to close. */
  close(): void
}

export const METRICS_PATH = '/metrics'

/** A path for the router that matches only itself: CALLBACK_PATH may hold `:`, `*`, `(`, `)` and `!`. */
function literalPath(path: string): string {
  return path.replace(/[{}()[\]+?!:*\\]/g, '\\$&')
}

/** Builds the exporter's Koa apps without listening: `main` listens, tests talk to them over HTTP. */
export function createExporter(deps: ExporterDeps): Exporter {
  const { config, registry, logger, clock } = deps
  if (deps.defaultMetrics !== false) collectDefaultMetrics({ register: registry })
  const apiSeries = createApiSeries(config)
  const groupQuotaSeries = createGroupQuotaSeries(config)
  const tokens = callbackTokensOf(config)
  const metrics = createExporterMetrics(registry, {
    version: VERSION,
    alertTtlSeconds: config.alertTtlSeconds,
    maxSeries: config.maxSeries,
    api: apiSeries,
    groupQuota: groupQuotaSeries,
    callbackTokens: () => tokens?.current.length ?? 0,
    tokenFile: tokens?.source === 'CALLBACK_TOKEN_FILE',
    frontProxy: config.upstream !== undefined,
  })
  const readiness: Readiness = { ready: false }
  const separateMetrics = config.metricsPort !== undefined

  const startedMs = clock.now()
  const activity = createActivityRecorder({ maxCommands: config.maxSeries })
  const stopWatchingTokens = watchCallbackTokens({
    config,
    tokens,
    metrics: metrics.tokenFile,
    logger,
    clock,
  })
  // The REST meter's records and metrics; main starts its listener (listenRestMeter: it loads undici).
  const restMeter =
    config.egress &&
    createMeterState({
      registry,
      maxSeries: config.maxSeries,
      alertTtlSeconds: config.alertTtlSeconds,
      apiLimitsFile: config.apiLimitsFile,
      logger,
      clock,
    })
  const handleCallback = createCallbackHandler({
    policy: {
      sdkAppIds: config.sdkAppIds,
      callbackTokens: tokens,
      maxClockSkewSeconds: config.maxClockSkewSeconds,
    },
    bodyLimitBytes: config.bodyLimitBytes,
    maxSeries: config.maxSeries,
    metrics,
    apiSeries,
    groupQuotaSeries,
    logger,
    clock,
    respond: deps.createResponder?.(metrics, activity.upstreamOutcome) ?? answerOk,
    activity: deps.activity ? bothActivities(activity.callbacks, deps.activity) : activity.callbacks,
    onRequestOverLimit:
      restMeter &&
      ((sdkAppId, alert) =>
        restMeter.knownLimits.alarmed(sdkAppId, alert.serviceName, alert.command, alert.limit)),
  })
  const handleMetrics = createMetricsHandler(
    registry,
    () => {
      const nowMs = clock.now()
      apiSeries.sweep(nowMs)
      groupQuotaSeries.sweep(nowMs)
    },
    logger,
  )

  const boundSend = sendDeadline(logger)
  const renderQueue = oneAtATime()
  const status = {
    collect: () =>
      collectStatus(
        {
          version: VERSION,
          startedMs,
          frontProxy: config.upstream !== undefined,
          apis: (nowMs) => apiSeries.entries(nowMs),
          groupQuota: (nowMs) => groupQuotaSeries.entries(nowMs),
          activity,
          restMeter: restMeter &&
            config.egress && { state: restMeter, chatRestUrl: config.egress.chatRestUrl },
        },
        clock.now(),
      ),
    context: () => ({
      nowMs: clock.now(),
      callbackPath: config.callbackPath,
      callbackPort: config.port,
      servesCallbacks: !separateMetrics,
      metricsPath: METRICS_PATH,
      authentication: tokens && { tokens: tokens.current.length, source: tokens.source },
      sdkAppIds: config.sdkAppIds && [...config.sdkAppIds],
      alertTtlSeconds: config.alertTtlSeconds,
      maxSeries: config.maxSeries,
      upstream: config.upstream && {
        target: config.upstream.url.origin + config.upstream.url.pathname,
        outcomes: activity.upstream,
      },
    }),
  }

  const buildApp = (routes: { callbacks: boolean; metrics: boolean }): Koa => {
    // Paths match exactly, case and trailing slash included: anything else is an unknown path (404).
    const router = new Router({ strict: true, sensitive: true })
    addProbeRoutes(router, readiness)
    // The status page goes where /metrics goes, behind whatever protects that listener.
    if (routes.metrics) {
      router.get(METRICS_PATH, boundSend, renderQueue, handleMetrics)
      addStatusRoutes(router, status, boundSend)
    } else {
      addStatusPointer(router, { version: VERSION, metricsPort: config.metricsPort })
    }
    if (routes.callbacks) router.post(literalPath(config.callbackPath), handleCallback)
    const app = new Koa({ proxy: false })
    // Koa's own error logging would print stack traces for client errors; everyRequest logs instead.
    app.silent = true
    app.use(everyRequest(metrics.httpRequestDuration, logger))
    // WEB_CONFIG_FILE governs the listener that serves /metrics, except the callback path and probes.
    if (routes.metrics && config.webConfig) {
      const openPaths = new Set<string>([...PROBE_PATHS, ...(routes.callbacks ? [config.callbackPath] : [])])
      app.use(webConfigMiddleware(config.webConfig, { openPaths }, { logger, clock }))
    }
    app.use(router.routes())
    app.use(router.allowedMethods())
    return app
  }

  return {
    app: buildApp({ callbacks: true, metrics: !separateMetrics }),
    metricsApp: separateMetrics ? buildApp({ callbacks: false, metrics: true }) : undefined,
    readiness,
    metrics,
    series: { api: apiSeries, groupQuota: groupQuotaSeries },
    callbackTokens: tokens,
    restMeter,
    close() {
      stopWatchingTokens()
      restMeter?.close()
    },
  }
}

/** Tells two listeners of each callback: the status page's recorder and the caller's. */
function bothActivities(first: CallbackActivity, second: CallbackActivity): CallbackActivity {
  return {
    accepted(command, sdkAppId, nowMs) {
      first.accepted(command, sdkAppId, nowMs)
      second.accepted(command, sdkAppId, nowMs)
    },
    rejected(reason, detail, nowMs) {
      first.rejected(reason, detail, nowMs)
      second.rejected(reason, detail, nowMs)
    },
  }
}
