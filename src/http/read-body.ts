import type { IncomingMessage } from 'node:http'
import type { Context } from 'koa'
import bodyParser from 'koa-bodyparser'
import { quoteForMessage } from '../protocol/label-value.js'
import { CallbackRejection } from '../protocol/rejection.js'

/** Thrown when the client went away mid-body: there is nobody left to answer. */
export class ClientAbortedError extends Error {
  override name = 'ClientAbortedError'
}

/** The Content-Encodings a body may come in (docs/callbacks.md, Answers); any other is `unsupported_encoding`. */
type BodyEncoding = 'identity' | 'gzip' | 'deflate'

/**
 * Reads a callback's body with koa-bodyparser, the Koa idiom: afterwards `ctx.request.body` holds the
 * parsed JSON and `ctx.request.rawBody` its text.
 *
 * - JSON whatever the Content-Type says (Chat's docs do not promise one), any JSON value (what is wrong
 *   with a non-object is parsePayload's to say), a UTF-8 byte-order mark tolerated, `__proto__` keys
 *   left as JSON.parse leaves them (nothing merges the body into another object).
 * - `Content-Encoding: gzip` or `deflate` is decoded; `limitBytes` (BODY_LIMIT_BYTES) applies to the
 *   decoded body, so a small gzip bomb is `body_too_large` after `limitBytes` bytes, and to the bytes
 *   received as well (empty gzip members decode to nothing, but must not stream in for ever).
 * - Any other Content-Encoding is `unsupported_encoding` (415), before a byte is read; an empty body,
 *   a body that is not JSON or does not decode is `malformed_json`; a declared Content-Length over the
 *   limit is refused before a byte is read.
 *
 * With `keepReceived`, the body's bytes as received (still encoded) are kept and returned, for
 * front-proxy mode to forward unchanged.
 */
export function createBodyReader(limitBytes: number) {
  const parse = bodyParser({
    enableTypes: ['json'],
    detectJSON: () => true,
    jsonLimit: String(limitBytes),
    strict: false,
    // co-body's default refuses __proto__ keys, which JSON.parse (and so the exporter, always) accepted.
    onProtoPoisoning: 'ignore',
  } as bodyParser.Options)
  // The parser awaits `next`; a plain function saves a promise per callback.
  const next = (() => undefined) as unknown as () => Promise<void>

  return async function readBody(ctx: Context, keepReceived: boolean): Promise<Buffer | undefined> {
    const encoding = contentEncoding(ctx.req)
    const received = keepReceived ? keepBytes(ctx.req) : undefined
    try {
      if (encoding === 'identity') await parse(ctx, next)
      else await Promise.race([parse(ctx, next), wireGuard(ctx.req, limitBytes)])
    } catch (error) {
      // Reading stopped before the body's end (a gzip body that does not decode, one over the limit):
      // the rest would never be read, and the next request on this connection would wait behind it
      // until the request timeout. The answer closes the connection instead.
      if (!ctx.req.complete) ctx.set('Connection', 'close')
      throw asRejection(error, limitBytes, encoding)
    }
    if (ctx.request.rawBody === '') throw new CallbackRejection('malformed_json', 'the body is empty')
    return received?.()
  }
}

export type BodyReader = ReturnType<typeof createBodyReader>

/**
 * The body's Content-Encoding, lower-cased (content codings are case-insensitive, RFC 9110 §8.4.1): the
 * header is rewritten so that the decoder, which compares exactly, sees the same.
 */
function contentEncoding(req: IncomingMessage): BodyEncoding {
  const header = req.headers['content-encoding']
  if (header === undefined || header === '' || header === 'identity') return 'identity'
  const coding = header.trim().toLowerCase()
  if (coding !== 'identity' && coding !== 'gzip' && coding !== 'deflate') {
    throw new CallbackRejection(
      'unsupported_encoding',
      `Content-Encoding ${quoteForMessage(header)} is not supported; send gzip, deflate or no Content-Encoding`,
    )
  }
  if (coding !== header) req.headers['content-encoding'] = coding
  return coding
}

/**
 * For an encoded body, what the parser cannot see behind the decoder (its limit counts decoded bytes):
 * bytes received beyond the limit, and a client that goes away mid-body (the decoder would wait for the
 * rest for ever). Rejects on either; the reading it races is then abandoned with the request.
 */
function wireGuard(req: IncomingMessage, limitBytes: number): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= limitBytes) return
      stop()
      req.unpipe()
      req.pause()
      reject(tooLarge(limitBytes))
    }
    const onClose = () => {
      stop()
      if (!req.complete) reject(new ClientAbortedError('the client closed the connection mid-body'))
    }
    const stop = () => {
      req.off('data', onData)
      req.off('close', onClose)
      req.off('end', stop)
    }
    req.on('data', onData)
    req.on('close', onClose)
    req.on('end', stop)
  })
}

/** Collects the bytes of the body as they arrive; the reader bounds how many. */
function keepBytes(req: IncomingMessage): () => Buffer {
  const chunks: Buffer[] = []
  const onData = (chunk: Buffer) => chunks.push(chunk)
  req.on('data', onData)
  return () => {
    req.off('data', onData)
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)
  }
}

const tooLarge = (limitBytes: number) =>
  new CallbackRejection('body_too_large', `the body is larger than BODY_LIMIT_BYTES (${limitBytes} bytes)`)

function asRejection(error: unknown, limitBytes: number, encoding: BodyEncoding): Error {
  if (error instanceof CallbackRejection || error instanceof ClientAbortedError) return error
  const { type, code, body, message } = error as {
    type?: string
    code?: string
    body?: unknown
    message?: string
  }
  if (type === 'entity.too.large') return tooLarge(limitBytes)
  if (type === 'request.aborted') return new ClientAbortedError('the client closed the connection mid-body')
  // co-body hands over what JSON.parse refused with the text it was given.
  if (error instanceof SyntaxError) {
    if (typeof body === 'string' && body.trim() === '')
      return new CallbackRejection('malformed_json', 'the body is empty')
    // V8's message repeats a piece of the body: quoted like any input repeated in an answer.
    return new CallbackRejection('malformed_json', `the body is not JSON: ${quoteForMessage(error.message)}`)
  }
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new CallbackRejection('malformed_json', `the body could not be decoded as ${encoding}: ${message}`)
  }
  return new CallbackRejection('malformed_json', `the body could not be read: ${message ?? String(error)}`)
}
