import { EventEmitter } from 'node:events'
import { createSecureContext, rootCertificates } from 'node:tls'
import { Pool } from 'undici'

/** What the app answered, read in full. */
export interface UpstreamAnswer {
  kind: 'answer'
  status: number
  contentType: string | undefined
  body: Buffer
}

/** Why no usable answer came back: the outcome label, and a detail for the log. */
export interface UpstreamFailure {
  kind: 'failure'
  outcome: 'timeout' | 'connection_error' | 'http_error'
  /** Set when the app answered, but with a body over the limit. */
  status?: number
  detail: string
}

export interface UpstreamRequest {
  path: string
  headers: string[]
  body: Buffer
}

export interface UpstreamClientOptions {
  /** Bounds the whole call: connecting, waiting in the pool, sending, and reading the answer. */
  timeoutMs: number
  /** The largest answer read; a bigger one is a failure rather than buffered without limit. */
  maxAnswerBytes: number
}

class TimeoutReason extends Error {
  override name = 'TimeoutReason'
}

// undici's own timeouts, should they fire before the deadline's timer (they share the same bound).
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT'])

/**
 * What aborts one call. undici takes an EventEmitter with `aborted` and `reason` as it takes an
 * AbortSignal; one costs a fraction of an AbortController and its EventTarget, which were 4% of the
 * REST meter's CPU per call (BENCHMARKS.md).
 */
export class CallSignal extends EventEmitter {
  aborted = false
  reason: unknown = undefined

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.emit('abort')
  }
}

/**
 * A deadline for one call: aborts its signal after `timeoutMs`. `classify` tells how a failed call
 * failed: the deadline (or undici's own timeouts, set to the same bound) passed, or the upstream could
 * not be reached, refused TLS, closed the connection or answered something that is not HTTP.
 */
export function callDeadline(timeoutMs: number) {
  const signal = new CallSignal()
  const timer = setTimeout(() => signal.abort(new TimeoutReason()), timeoutMs)
  return {
    signal,
    /** Ends the deadline early (the caller gave up for a reason of its own, e.g. its client left). */
    abort: (reason: Error) => signal.abort(reason),
    clear: () => clearTimeout(timer),
    classify(error: unknown): { outcome: 'timeout' | 'connection_error'; detail: string } {
      if (
        signal.reason instanceof TimeoutReason ||
        TIMEOUT_CODES.has((error as { code?: string }).code ?? '')
      ) {
        return { outcome: 'timeout', detail: `no answer within ${timeoutMs} ms` }
      }
      return { outcome: 'connection_error', detail: describe(error) }
    },
  }
}

/**
 * A keep-alive pool of connections to an upstream origin, with undici's own timeouts at the call's
 * bound: as many connections as calls in flight (the upstream sees the concurrency the exporter
 * receives), one request at a time on each, certificates verified against the system's CAs and `ca`.
 */
export function upstreamPool(
  origin: string,
  options: { timeoutMs: number; keepAliveTimeoutMs?: number; ca?: string },
): Pool {
  return new Pool(origin, {
    connections: null,
    pipelining: 1,
    ...(options.keepAliveTimeoutMs !== undefined && { keepAliveTimeout: options.keepAliveTimeoutMs }),
    connectTimeout: options.timeoutMs,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    // One secure context for all connections: given `ca`, node would build a context for each new
    // connection, parsing the ~140 system root certificates again (20 ms of CPU on a loaded 2-core
    // machine, BENCHMARKS.md), while one made here costs that once.
    ...(options.ca !== undefined && {
      connect: { secureContext: createSecureContext({ ca: [...rootCertificates, options.ca] }) },
    }),
  })
}

/**
 * A keep-alive connection pool to the app's origin that sends one callback and reads its answer,
 * never throwing: every way a call can fail becomes an `UpstreamFailure`. Requests are never retried:
 * a before-callback may have side effects in the app, and Chat would have given up meanwhile.
 */
export function createUpstreamClient(origin: string, options: UpstreamClientOptions) {
  const { timeoutMs, maxAnswerBytes } = options
  // An app that announces no keep-alive timeout may close an idle connection early (gunicorn: 2 s);
  // reusing one it is closing fails the callback, while a new connection on localhost costs ~0.1 ms.
  const pool = upstreamPool(origin, { timeoutMs, keepAliveTimeoutMs: 1000 })

  async function readAnswer(
    body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown },
    declaredLength: string | undefined,
  ): Promise<Buffer | undefined> {
    if (declaredLength !== undefined && Number(declaredLength) > maxAnswerBytes) {
      body.destroy()
      return undefined
    }
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of body) {
      size += chunk.length
      if (size > maxAnswerBytes) {
        body.destroy()
        return undefined
      }
      chunks.push(chunk)
    }
    return Buffer.concat(chunks, size)
  }

  async function send(request: UpstreamRequest): Promise<UpstreamAnswer | UpstreamFailure> {
    const deadline = callDeadline(timeoutMs)
    try {
      const response = await pool.request({
        method: 'POST',
        path: request.path,
        headers: request.headers,
        body: request.body,
        signal: deadline.signal,
      })
      const contentType = single(response.headers['content-type'])
      const body = await readAnswer(response.body, single(response.headers['content-length']))
      if (body === undefined) {
        return {
          kind: 'failure',
          outcome: 'http_error',
          status: response.statusCode,
          detail: `the answer is larger than ${maxAnswerBytes} bytes (BODY_LIMIT_BYTES)`,
        }
      }
      return { kind: 'answer', status: response.statusCode, contentType, body }
    } catch (error) {
      return { kind: 'failure', ...deadline.classify(error) }
    } finally {
      deadline.clear()
    }
  }

  return {
    send,
    /** Closes idle connections and waits for calls in flight. */
    close: () => pool.close(),
  }
}

export type UpstreamClient = ReturnType<typeof createUpstreamClient>

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** `ECONNREFUSED connect ECONNREFUSED 127.0.0.1:8080`, or the message alone. */
function describe(error: unknown): string {
  const { code, message, cause } = error as { code?: string; message?: string; cause?: unknown }
  const text = message ?? String(error)
  const causeText = cause instanceof Error ? `: ${cause.message}` : ''
  return code !== undefined && !text.includes(code) ? `${code} ${text}${causeText}` : `${text}${causeText}`
}
