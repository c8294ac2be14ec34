import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { Context } from 'koa'
import type { UpstreamConfig } from '../config/config.js'
import { type AcceptedCallback, answerOk, type CallbackResponder } from '../http/callback-route.js'
import { createLogThrottle } from '../logging/log-throttle.js'
import type { Logger } from '../logging/logger.js'
import type { UpstreamMetrics } from '../metrics/exporter-metrics.js'
import { failAnswer, JSON_CONTENT_TYPE } from '../protocol/answers.js'
import { isBeforeCallback } from '../protocol/commands.js'
import { decisionOf } from './decision.js'
import { policyAnswer } from './failure-answer.js'
import { forwardedHeaders, passedThrough, upstreamPath, viaEntry } from './forward-request.js'
import { createUpstreamClient, type UpstreamAnswer, type UpstreamFailure } from './upstream-client.js'
import { createUpstreamRecorder, type UpstreamOutcome } from './upstream-recorder.js'

export interface UpstreamResponderOptions {
  upstream: UpstreamConfig
  /** Front-proxy mode's metrics: the exporter's metrics have them when its configuration has `upstream`. */
  metrics: UpstreamMetrics | undefined
  logger: Logger
  /** BODY_LIMIT_BYTES: also the largest answer read back from the app. */
  maxAnswerBytes: number
  /** Told how each forwarded callback ended (the status page shows the app's recent answers). */
  observe?: (outcome: UpstreamOutcome, nowMs: number) => void
}

/** A responder that forwards to the app; `close` ends its keep-alive connections. */
export type UpstreamResponder = CallbackResponder & { close(): Promise<void> }

const MINUTE_MS = 60_000

/**
 * Front-proxy mode: forwards every accepted callback to UPSTREAM_URL (query string and body bytes
 * unchanged) and writes the app's status, Content-Type and body back to Chat unchanged. When the app
 * cannot be reached or is too slow, UPSTREAM_FAILURE_POLICY decides the answer.
 *
 *   createExporter({ ..., createResponder: (metrics) =>
 *     createUpstreamResponder({ upstream, metrics, logger, maxAnswerBytes }) })
 */
export function createUpstreamResponder(options: UpstreamResponderOptions): UpstreamResponder {
  const { upstream, logger } = options
  const client = createUpstreamClient(upstream.url.origin, {
    timeoutMs: upstream.timeoutMs,
    maxAnswerBytes: options.maxAnswerBytes,
  })
  if (options.metrics === undefined) throw new Error('front-proxy mode needs a configuration with upstream')
  const record = createUpstreamRecorder(options.metrics)
  const failureLogs = createLogThrottle({ windowMs: MINUTE_MS, burst: 5 })
  const via = viaEntry(randomBytes(4).toString('hex'))
  // Without UPSTREAM_URL's own query, which may hold a secret of the app's.
  const upstreamForLog = upstream.url.origin + upstream.url.pathname

  function logFailure(callback: AcceptedCallback, failure: UpstreamFailure, seconds: number): void {
    const { log, suppressed } = failureLogs.take(failure.outcome, Date.now())
    if (!log) return
    logger.warn(
      {
        outcome: failure.outcome,
        detail: failure.detail,
        status: failure.status,
        upstream: upstreamForLog,
        sdkappid: callback.query.sdkAppId,
        callback_command: callback.query.callbackCommand,
        duration_ms: Math.round(seconds * 1000),
        failure_policy: upstream.failurePolicy,
        ...(suppressed > 0 && { suppressed_since_last_window: suppressed }),
      },
      'upstream call failed: answered by UPSTREAM_FAILURE_POLICY',
    )
  }

  function logHttpError(callback: AcceptedCallback, answer: UpstreamAnswer): void {
    const { log, suppressed } = failureLogs.take('http_error', Date.now())
    if (!log) return
    logger.warn(
      {
        outcome: 'http_error',
        status: answer.status,
        upstream: upstreamForLog,
        sdkappid: callback.query.sdkAppId,
        callback_command: callback.query.callbackCommand,
        ...(suppressed > 0 && { suppressed_since_last_window: suppressed }),
      },
      'upstream answered a status other than 200: passed back to Chat, which counts a failed callback',
    )
  }

  /**
   * UPSTREAM_URL that leads back to this exporter (its own port, or a Service in front of it) would
   * forward each callback to itself until the connections run out: the second pass is refused instead.
   */
  function refuseLoop(ctx: Context, callback: AcceptedCallback): void {
    const { log } = failureLogs.take('loop', Date.now())
    if (log) {
      logger.error(
        { upstream: upstreamForLog, callback_command: callback.query.callbackCommand },
        'forwarding loop: UPSTREAM_URL leads back to this exporter; point it at the app',
      )
    }
    ctx.status = 508
    ctx.type = JSON_CONTENT_TYPE
    ctx.body = failAnswer(50801, 'upstream_loop: UPSTREAM_URL leads back to the exporter')
  }

  const respond: CallbackResponder = async (ctx, callback) => {
    if (!upstream.forwardAlerts && callback.payload.kind !== 'other') return answerOk(ctx, callback)
    if (passedThrough(ctx.req, via)) return refuseLoop(ctx, callback)
    const command = callback.query.callbackCommand
    const started = performance.now()
    if (callback.body === undefined) throw new Error('the callback handler did not keep the body to forward')
    const result = await client.send({
      path: upstreamPath(upstream.url, callback.rawQuery),
      headers: forwardedHeaders(ctx.req, via),
      body: callback.body,
    })
    const seconds = (performance.now() - started) / 1000

    if (result.kind === 'failure') {
      record.request(command, result.outcome, seconds)
      options.observe?.(result.outcome, Date.now())
      logFailure(callback, result, seconds)
      const answer = policyAnswer(upstream.failurePolicy, result)
      ctx.status = answer.status
      ctx.type = JSON_CONTENT_TYPE
      ctx.body = answer.body
      return
    }

    const ok = result.status === 200
    record.request(command, ok ? 'ok' : 'http_error', seconds)
    options.observe?.(ok ? 'ok' : 'http_error', Date.now())
    if (!ok) logHttpError(callback, result)
    // Chat acts on the ErrorCode of a before-callback only when the answer is a 200.
    if (ok && isBeforeCallback(command)) {
      const errorCode = decisionOf(result.body)
      if (errorCode !== undefined) record.decision(callback.query.sdkAppId, command, errorCode)
    }
    passBack(ctx, result)
  }

  // The body goes to the app as received: encoded bodies keep their bytes and their Content-Encoding.
  return Object.assign(respond, { forwardsBody: true, close: () => client.close() })
}

/** Writes the app's status, Content-Type and body, and nothing else of its answer. */
function passBack(ctx: Context, answer: UpstreamAnswer): void {
  ctx.status = answer.status
  ctx.body = answer.body
  // Koa labels a Buffer body application/octet-stream; the app's header, or its absence, wins.
  if (answer.contentType === undefined) ctx.remove('Content-Type')
  else ctx.set('Content-Type', answer.contentType)
}
