import type { Context } from 'koa'
import { type AuthPolicy, createAuthenticator } from '../auth/authenticate.js'
import type { Clock } from '../clock.js'
import { innerMap } from '../inner-map.js'
import { createLogThrottle } from '../logging/log-throttle.js'
import type { Logger } from '../logging/logger.js'
import type { ExporterMetrics } from '../metrics/exporter-metrics.js'
import { failAnswer, JSON_CONTENT_TYPE, OK_ANSWER } from '../protocol/answers.js'
import { type CallbackQuery, parseCallbackQuery } from '../protocol/callback-query.js'
import { type CallbackPayload, parsePayload, type RequestOverLimitAlert } from '../protocol/payloads.js'
import { CallbackRejection, type RejectionReason } from '../protocol/rejection.js'
import type { ApiSeries } from '../series/api-series.js'
import type { GroupQuotaSeries } from '../series/group-quota-series.js'
import { ClientAbortedError, createBodyReader } from './read-body.js'

/** A callback that passed authentication and validation, with the request exactly as received. */
export interface AcceptedCallback {
  query: CallbackQuery
  /** The query string byte for byte, without the leading `?`. */
  rawQuery: string
  /**
   * The body's bytes as received (still encoded under a Content-Encoding), kept only when the responder
   * `forwardsBody`; the parsed body is `payload`, its text `ctx.request.rawBody`.
   */
  body: Buffer | undefined
  payload: CallbackPayload
}

/** Writes the answer to an accepted callback: OK by default, or the app's answer in front-proxy mode. */
export type CallbackResponder = ((ctx: Context, callback: AcceptedCallback) => Promise<void> | void) & {
  /** Set by a responder that forwards the body as received (front-proxy mode): its bytes are kept. */
  readonly forwardsBody?: boolean
}

export const answerOk: CallbackResponder = (ctx) => writeOk(ctx)

function writeOk(ctx: Context): void {
  ctx.status = 200
  // The header itself: the `type` setter would look the media type up in mime-types on every callback.
  ctx.set('Content-Type', JSON_CONTENT_TYPE)
  ctx.body = OK_ANSWER
}

/**
 * Told of every callback as it is counted or rejected, for readers other than `/metrics` (a status
 * page). Called on the request path: keep it to a few assignments.
 */
export interface CallbackActivity {
  /** An authenticated, well-formed callback, counted in `tencent_chat_exporter_callbacks_total`. */
  accepted(callbackCommand: string, sdkAppId: string, nowMs: number): void
  /** A rejected request, counted in `tencent_chat_exporter_rejected_callbacks_total{reason}`. */
  rejected(reason: RejectionReason, detail: string, nowMs: number): void
}

const noActivity: CallbackActivity = { accepted: () => {}, rejected: () => {} }

export interface CallbackRouteDeps {
  policy: AuthPolicy
  bodyLimitBytes: number
  maxSeries: number
  metrics: ExporterMetrics
  apiSeries: ApiSeries
  groupQuotaSeries: GroupQuotaSeries
  logger: Logger
  clock: Clock
  respond: CallbackResponder
  /** Optional: told of accepted and rejected callbacks (default: nobody). */
  activity?: CallbackActivity
  /** Optional: told of every valid Alert.RequestOverLimit, also one past the series cap (its Limit is news). */
  onRequestOverLimit?: (sdkAppId: string, alert: RequestOverLimitAlert) => void
}

const MINUTE_MS = 60_000

/** The handler of `POST CALLBACK_PATH`: authenticate, read, validate, record, answer. */
export function createCallbackHandler(deps: CallbackRouteDeps) {
  const { metrics, logger, clock } = deps
  const rejectionLogs = createLogThrottle({ windowMs: MINUTE_MS, burst: 10 })
  const dropLogs = createLogThrottle({ windowMs: MINUTE_MS, burst: 1 })
  const countCallback = createCallbackCounter(metrics, deps.maxSeries)
  const activity = deps.activity ?? noActivity
  const readBody = createBodyReader(deps.bodyLimitBytes)
  const keepBody = deps.respond.forwardsBody === true
  const answersOk = deps.respond === answerOk
  const authenticate = createAuthenticator(deps.policy)

  function reject(ctx: Context, rejection: CallbackRejection, query: CallbackQuery | undefined): void {
    metrics.rejectedCallbacks.inc({ reason: rejection.reason })
    const nowMs = clock.now()
    activity.rejected(rejection.reason, rejection.detail, nowMs)
    const { log, suppressed } = rejectionLogs.take(rejection.reason, nowMs)
    if (log) {
      logger.warn(
        {
          reason: rejection.reason,
          status: rejection.status,
          detail: rejection.detail,
          sdkappid: query?.sdkAppId,
          callback_command: query?.callbackCommand,
          remote_address: ctx.request.ip,
          ...(suppressed > 0 && { suppressed_since_last_window: suppressed }),
        },
        'callback rejected',
      )
    }
    ctx.status = rejection.status
    ctx.body = failAnswer(rejection.errorCode, rejection.message)
    // The rest of an oversized body is not worth reading: close the connection after the answer.
    if (rejection.reason === 'body_too_large') ctx.set('Connection', 'close')
  }

  function record(query: CallbackQuery, payload: CallbackPayload, nowMs: number): void {
    if (payload.kind === 'request_over_limit') deps.onRequestOverLimit?.(query.sdkAppId, payload.alert)
    const outcome =
      payload.kind === 'request_over_limit'
        ? deps.apiSeries.record(query.sdkAppId, payload.alert, nowMs)
        : payload.kind === 'group_quota'
          ? deps.groupQuotaSeries.record(query.sdkAppId, payload.alarm, nowMs)
          : undefined
    if (outcome !== 'dropped') return
    // Chat must not see a failure for a valid alert: it is answered OK, counted and logged sparingly.
    metrics.droppedAlerts.inc({ reason: 'series_limit' })
    const { log, suppressed } = dropLogs.take('series_limit', nowMs)
    if (log) {
      logger.warn(
        {
          reason: 'series_limit',
          max_series: deps.maxSeries,
          sdkappid: query.sdkAppId,
          callback_command: query.callbackCommand,
          ...(suppressed > 0 && { dropped_since_last_log: suppressed }),
        },
        'alert dropped: MAX_SERIES series are tracked and all are within ALERT_TTL_SECONDS',
      )
    }
  }

  return async function handleCallback(ctx: Context): Promise<void> {
    let query: CallbackQuery | undefined
    try {
      query = parseCallbackQuery(ctx.querystring)
      authenticate(query, clock.now())
      const body = await readBody(ctx, keepBody)
      const payload = parsePayload(query.callbackCommand, ctx.request.body)
      const nowMs = clock.now()
      countCallback(query)
      activity.accepted(query.callbackCommand, query.sdkAppId, nowMs)
      record(query, payload, nowMs)
      // Guarded: the object would be built for every callback even with debug off.
      if (logger.isLevelEnabled('debug')) {
        logger.debug(
          { sdkappid: query.sdkAppId, callback_command: query.callbackCommand, kind: payload.kind },
          'callback accepted',
        )
      }
      // Answering OK is synchronous and needs nothing of the callback: no object to build, no promise.
      if (answersOk) return writeOk(ctx)
      const answered = deps.respond(ctx, { query, rawQuery: ctx.querystring, body, payload })
      if (answered !== undefined) await answered
    } catch (error) {
      if (error instanceof CallbackRejection) return reject(ctx, error, query)
      if (error instanceof ClientAbortedError) {
        logger.debug({ remote_address: ctx.request.ip }, error.message)
        ctx.status = 400
        return
      }
      throw error
    }
  }
}

/**
 * Counts accepted callbacks by app and command. Without SDKAPPIDS and a token anyone can invent label
 * values, so at most `maxSeries` pairs get their own series; the rest are counted under `_other`.
 */
function createCallbackCounter(metrics: ExporterMetrics, maxSeries: number) {
  // One label object per pair, kept: no key string to build per callback, and /metrics formats each
  // label set once (render-metrics caches by label object).
  const labelSets = new Map<string, Map<string, { sdkappid: string; callback_command: string }>>()
  let pairs = 0
  const overflow = { sdkappid: '_other', callback_command: '_other' }
  return (query: CallbackQuery): void => {
    let labels = labelSets.get(query.sdkAppId)?.get(query.callbackCommand)
    if (labels === undefined) {
      // Nothing is kept for a pair past the cap, not even an empty map for its SDKAppID.
      if (pairs >= maxSeries) {
        metrics.callbacks.inc(overflow)
        return
      }
      labels = { sdkappid: query.sdkAppId, callback_command: query.callbackCommand }
      innerMap(labelSets, query.sdkAppId).set(query.callbackCommand, labels)
      pairs++
    }
    metrics.callbacks.inc(labels)
  }
}
