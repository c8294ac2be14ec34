import type { IncomingMessage } from 'node:http'
import getRawBody from 'raw-body'
import { CallbackRejection } from '../protocol/rejection.js'

/** Thrown when the client went away mid-body: there is nobody left to answer. */
export class ClientAbortedError extends Error {
  override name = 'ClientAbortedError'
}

/**
 * Reads the body bytes exactly as sent (front-proxy mode forwards them unchanged), stopping at
 * `limitBytes`: a declared Content-Length over the limit is refused before a byte is read.
 */
export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  try {
    return await getRawBody(req, { limit: limitBytes, length: req.headers['content-length'] })
  } catch (error) {
    const type = (error as { type?: string }).type
    if (type === 'entity.too.large') {
      throw new CallbackRejection(
        'body_too_large',
        `the body is larger than BODY_LIMIT_BYTES (${limitBytes} bytes)`,
      )
    }
    if (type === 'request.aborted') throw new ClientAbortedError('the client closed the connection mid-body')
    throw new CallbackRejection('malformed_json', `the body could not be read: ${(error as Error).message}`)
  }
}

/**
 * Parses the body as JSON whatever the Content-Type header says: Chat's docs do not promise one.
 * A UTF-8 byte-order mark is tolerated; an empty body or anything JSON.parse refuses is malformed.
 */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8').replace(/^\uFEFF/, '')
  if (text.trim() === '') throw new CallbackRejection('malformed_json', 'the body is empty')
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new CallbackRejection('malformed_json', (error as Error).message)
  }
}
