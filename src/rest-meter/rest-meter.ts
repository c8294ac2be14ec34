import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { Clock } from '../clock.js'
import type { EgressConfig } from '../config/config.js'
import { createLogThrottle } from '../logging/log-throttle.js'
import type { Logger } from '../logging/logger.js'
import type { RestMeterMetrics } from '../metrics/rest-meter-metrics.js'
import { endToEndHeaders } from '../proxy/forward-request.js'
import { callDeadline, upstreamPool } from '../proxy/upstream-client.js'
import { answerFieldsReader } from './answer-fields.js'
import { type ChatApi, parseChatApiTarget } from './chat-api-path.js'
import { METER_ANSWERS, type MeterAnswerReason, type MeterFailure, meterAnswerBody } from './meter-answers.js'
import { type AnswerCount, countDuration, type MeteredApi, type MeteredApis } from './metered-apis.js'
import { errorCodeLabel } from './rest-error-codes.js'

export interface RestMeterOptions {
  egress: EgressConfig
  /** SDKAPPIDS: when set, calls for other apps are refused. */
  sdkAppIds: ReadonlySet<string> | undefined
  apis: MeteredApis
  metrics: RestMeterMetrics
  logger: Logger
  clock: Clock
  /** Told of each call that Chat answered or that failed (the status page's recent activity). */
  observe?: (api: MeteredApi, outcome: 'answered' | MeterFailure, seconds: number) => void
}

// Host is Chat's (undici writes it from CHAT_REST_URL); Expect is answered by the meter's own server.
const NOT_FORWARDED_TO_CHAT = new Set(['host', 'expect'])
/** Chat's answer headers that go back to the app: its content headers, as they came. */
const passedBack = (lowerName: string) => lowerName.startsWith('content-')
const MINUTE_MS = 60_000

/**
 * The REST meter: forwards the app's REST calls to Chat (CHAT_REST_URL + the same path and query, byte
 * for byte, over a pooled keep-alive HTTPS connection with certificates verified) and passes Chat's
 * answer back unchanged, streaming both bodies, while it measures each call per API: its start (the
 * per-second peak), Chat's ActionStatus and ErrorCode, its duration, and the calls that got no answer.
 * It forwards only `POST /v4/<servicename>/<command>` and never retries (REST calls are not idempotent).
 *
 * The query holds the admin's UserSig, a bearer credential: it is forwarded and never written anywhere
 * else (logs, labels, pages, the meter's answers name the API, never the query).
 */
export function createRestMeter(options: RestMeterOptions) {
  const { egress, metrics, logger, clock, apis } = options
  const pool = upstreamPool(egress.chatRestUrl.origin, {
    timeoutMs: egress.timeoutMs,
    ca: egress.extraCa?.pem,
  })
  // CHAT_REST_URL's own path (usually none) goes before each call's path.
  const basePath = egress.chatRestUrl.pathname.replace(/\/+$/, '')
  const chatForLog = egress.chatRestUrl.origin + basePath
  const logs = createLogThrottle({ windowMs: MINUTE_MS, burst: 5 })

  function answer(
    res: ServerResponse,
    reason: MeterAnswerReason,
    detail: string,
    closeConnection: boolean,
  ): void {
    const body = meterAnswerBody(reason, detail)
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    }
    if (reason === 'method_not_allowed') headers.allow = 'POST'
    // A request whose body the meter will not read: close rather than read it to keep the connection.
    if (closeConnection) headers.connection = 'close'
    res.writeHead(METER_ANSWERS[reason].status, headers)
    res.end(body)
  }

  function refuse(
    req: IncomingMessage,
    res: ServerResponse,
    reason: MeterAnswerReason,
    detail: string,
  ): void {
    metrics.rejected.inc({ reason })
    const { log, suppressed } = logs.take(reason, clock.now())
    if (log) {
      logger.warn(
        {
          reason,
          detail,
          method: req.method,
          // The path only: the query holds the UserSig.
          path: (req.url ?? '').split('?')[0]?.slice(0, 200),
          ...(suppressed > 0 && { suppressed_since_last_window: suppressed }),
        },
        'REST call refused by the meter',
      )
    }
    answer(res, reason, detail, hasBody(req))
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now()
    const target = parseChatApiTarget(req.url ?? '')
    if (!target.ok) return refuse(req, res, 'not_a_chat_api', target.problem)
    if (req.method !== 'POST') {
      return refuse(
        req,
        res,
        'method_not_allowed',
        `${req.method} is not POST: Chat's REST APIs take POST only`,
      )
    }
    const sdkappid = sdkAppIdOf(target.rawQuery)
    if (sdkappid === undefined) {
      return refuse(req, res, 'sdkappid_not_allowed', 'the query has no numeric sdkappid')
    }
    if (options.sdkAppIds !== undefined && !options.sdkAppIds.has(sdkappid)) {
      return refuse(req, res, 'sdkappid_not_allowed', `sdkappid ${sdkappid} is not in SDKAPPIDS`)
    }
    const declaredLength = Number(req.headers['content-length'] ?? 0)
    if (declaredLength > egress.bodyLimitBytes) {
      return refuse(
        req,
        res,
        'body_too_large',
        `the body is larger than ${egress.bodyLimitBytes} bytes (REST_BODY_LIMIT_BYTES)`,
      )
    }
    const api = apis.of(sdkappid, target.api)
    if (api.lastCallMs === 0) metrics.startFailures(api.labels)
    const nowMs = clock.now()
    api.lastCallMs = nowMs
    api.peak.add(nowMs)
    await forward(req, res, target.api, target.rawQuery, api, started)
  }

  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    chatApi: ChatApi,
    rawQuery: string,
    api: MeteredApi,
    started: number,
  ): Promise<void> {
    const deadline = callDeadline(egress.timeoutMs)
    // The app left before the answer: stop waiting for Chat (the call is neither answered nor failed).
    const appLeft = () => {
      if (!res.writableFinished) deadline.abort(new AppLeft())
    }
    res.once('close', appLeft)
    // A declared length is enforced by the HTTP parser; a chunked body is counted as it streams. The
    // error for it is made for a chunked body only: an Error records a stack trace when it is made,
    // which cost 4% of the meter's CPU when every call made one (BENCHMARKS.md).
    const tooLarge = req.headers['content-length'] === undefined ? new BodyTooLarge() : undefined
    api.inFlight++
    metrics.inFlight.inc()
    let answered: Dispatcher.ResponseData | undefined
    try {
      answered = await pool.request({
        method: 'POST',
        path: `${basePath}/v4/${chatApi.serviceName}/${chatApi.command}${rawQuery === '' ? '' : `?${rawQuery}`}`,
        headers: endToEndHeaders(req, NOT_FORWARDED_TO_CHAT),
        body: tooLarge === undefined ? req : Readable.from(limited(req, egress.bodyLimitBytes, tooLarge)),
        signal: deadline.signal,
      })
      const readFields = answerFieldsReader(single(answered.headers['content-encoding']))
      res.writeHead(answered.statusCode, contentHeaders(answered.headers))
      await relay(
        answered.body,
        res,
        (chunk) => readFields.push(chunk),
        async () => {
          const fields = await readFields.end()
          const seconds = (performance.now() - started) / 1000
          const answer = answerOf(api, fields.actionStatus, fields.errorCode)
          answer.total++
          metrics.requests.inc(answer.labels)
          metrics.duration.observe(api.labels, seconds)
          countDuration(api, seconds)
          options.observe?.(api, 'answered', seconds)
        },
      )
    } catch (error) {
      answered?.body.destroy()
      if (deadline.signal.reason instanceof AppLeft) return
      if (tooLarge !== undefined && (error === tooLarge || deadline.signal.reason === tooLarge)) {
        if (!res.headersSent) {
          return refuse(
            req,
            res,
            'body_too_large',
            `the body is larger than ${egress.bodyLimitBytes} bytes (REST_BODY_LIMIT_BYTES)`,
          )
        }
      }
      const { outcome, detail } = deadline.classify(error)
      const reason: MeterFailure = outcome === 'timeout' ? 'chat_timeout' : 'chat_unreachable'
      metrics.failures.inc({ ...api.labels, reason })
      api.failures[reason]++
      options.observe?.(api, reason, (performance.now() - started) / 1000)
      const { log, suppressed } = logs.take(reason, clock.now())
      if (log) {
        logger.warn(
          {
            reason,
            detail,
            chat: chatForLog,
            api: `v4/${chatApi.serviceName}/${chatApi.command}`,
            sdkappid: api.labels.sdkappid,
            answer_started: res.headersSent,
            ...(suppressed > 0 && { suppressed_since_last_window: suppressed }),
          },
          'REST call to Chat failed',
        )
      }
      // Part of Chat's answer went out already: the app sees the connection cut, not a second answer.
      if (res.headersSent) res.destroy()
      else
        answer(res, reason, reason === 'chat_timeout' ? detail : `Chat could not be reached: ${detail}`, true)
    } finally {
      deadline.clear()
      res.off('close', appLeft)
      api.inFlight--
      metrics.inFlight.dec()
    }
  }

  return {
    /** The request listener of the meter's server. */
    handle(req: IncomingMessage, res: ServerResponse): void {
      handle(req, res).catch((error: unknown) => {
        logger.error({ error: (error as Error).message }, 'REST meter: unexpected error')
        if (!res.headersSent) answer(res, 'chat_unreachable', 'internal error of the meter', true)
        else res.destroy()
      })
    },
    /** Closes the connections to Chat once the calls in flight are done. */
    close: () => pool.close(),
  }
}

export type RestMeter = ReturnType<typeof createRestMeter>

class AppLeft extends Error {
  override name = 'AppLeft'
}
class BodyTooLarge extends Error {
  override name = 'BodyTooLarge'
}

/**
 * Streams Chat's answer to the app, showing each chunk to `see` on its way, with back-pressure (Chat's
 * answer is paused while the app's socket is full). Once Chat's answer is complete, `beforeEnd` (the
 * call's measurement) runs and then the app's answer is ended, so that a call is counted by the time the
 * app has its whole answer. Resolves then; rejects when the answer fails (the deadline, the app leaving,
 * Chat closing early), also while it waits for the app's socket to drain: waiting for 'drain' alone
 * would wait for ever for an app that left.
 */
function relay(
  body: Readable,
  res: ServerResponse,
  see: (chunk: Buffer) => void,
  beforeEnd: () => Promise<void>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      see(chunk)
      if (!res.write(chunk)) body.pause()
    }
    const onDrain = () => body.resume()
    const onEnd = () => {
      done()
      beforeEnd().then(() => {
        res.end()
        resolve()
      }, reject)
    }
    const onError = (error: Error) => {
      done()
      reject(error)
    }
    const done = () => {
      body.off('data', onData)
      body.off('end', onEnd)
      body.off('error', onError)
      res.off('drain', onDrain)
    }
    body.on('data', onData)
    body.once('end', onEnd)
    body.once('error', onError)
    res.on('drain', onDrain)
  })
}

/** The body as it arrives, failing the call once more than `limit` bytes came. */
async function* limited(
  body: AsyncIterable<Buffer>,
  limit: number,
  tooLarge: BodyTooLarge,
): AsyncGenerator<Buffer> {
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > limit) throw tooLarge
    yield chunk
  }
}

const SDKAPPID = /^\d{1,20}$/

/** The query's `sdkappid` (Chat's REST parameter names are lower case), if it is a number. */
function sdkAppIdOf(rawQuery: string): string | undefined {
  const value = new URLSearchParams(rawQuery).get('sdkappid')
  return value !== null && SDKAPPID.test(value) ? value : undefined
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

function contentHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const passed: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && passedBack(name)) passed[name] = value
  }
  return passed
}

/** The count and series of an answer of `api`, made once per API and answer. */
function answerOf(
  api: MeteredApi,
  actionStatus: string | undefined,
  errorCode: number | undefined,
): AnswerCount {
  const status = actionStatus === 'OK' || actionStatus === 'FAIL' ? actionStatus : 'none'
  const code = errorCodeLabel(errorCode)
  const key = `${status} ${code}`
  let answer = api.answers.get(key)
  if (answer === undefined) {
    answer = { labels: { ...api.labels, action_status: status, error_code: code }, total: 0 }
    api.answers.set(key, answer)
  }
  return answer
}
