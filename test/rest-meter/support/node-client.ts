import { once } from 'node:events'
import { type IncomingHttpHeaders, request } from 'node:http'
import { connect } from 'node:net'
import type { Readable } from 'node:stream'
import { expect } from 'vitest'
import { METER_ANSWERS, type MeterAnswerReason } from '../../../src/rest-meter/meter-answers.js'

/** An answer as the app's HTTP client receives it, its body as bytes (never decompressed). */
export interface RawAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/**
 * POSTs to the meter with node:http, so that the body goes as given (a Buffer with Content-Length, a
 * stream chunked) and the answer's bytes come back exactly as sent.
 */
export async function post(
  url: string,
  body: Buffer | string | Readable,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const req = request(url, { method: options.method ?? 'POST', headers: options.headers, agent: false })
  const answered = once(req, 'response') as Promise<[import('node:http').IncomingMessage]>
  if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body)
  else body.pipe(req)
  const [res] = await answered
  const chunks: Buffer[] = []
  for await (const chunk of res) chunks.push(chunk as Buffer)
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }
}

/**
 * Sends `head` (a request line and headers, as written) over a plain socket and returns everything the
 * server wrote until it closed: for request targets that an HTTP client library would rewrite or refuse.
 */
export async function rawExchange(port: number, head: string): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.end(head)
  const chunks: Buffer[] = []
  socket.on('data', (chunk: Buffer) => chunks.push(chunk))
  await once(socket, 'close')
  return Buffer.concat(chunks).toString('latin1')
}

/** The status code and body of a raw HTTP/1.1 answer (Content-Length bodies only). */
export function parseRawAnswer(raw: string): { status: number; headers: string; body: string } {
  const end = raw.indexOf('\r\n\r\n')
  const headers = raw.slice(0, end)
  return { status: Number(headers.split(' ')[1]), headers, body: raw.slice(end + 4) }
}

/**
 * Asserts that `body` is the meter's own answer for `reason`: Chat's shape, a FAIL with the meter's
 * ErrorCode (99xxxx, outside Tencent's codes) and an ErrorInfo that starts with the exporter's name and
 * the reason.
 */
export function expectMeterAnswer(body: Buffer | string, reason: MeterAnswerReason): void {
  const answer = JSON.parse(body.toString()) as Record<string, unknown>
  expect(Object.keys(answer)).toEqual(['ActionStatus', 'ErrorCode', 'ErrorInfo'])
  expect(answer.ActionStatus).toBe('FAIL')
  expect(answer.ErrorCode).toBe(METER_ANSWERS[reason].errorCode)
  expect(String(answer.ErrorCode)).toMatch(/^99\d{4}$/)
  expect(answer.ErrorInfo).toMatch(new RegExp(`^tencent-chat-exporter: ${reason}: .+`))
}
