import { request } from 'node:http'
import { deflateSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue, TOKEN } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

// Bodies read by koa-bodyparser: gzip and deflate decoded, BODY_LIMIT_BYTES applied to the decoded size,
// any other Content-Encoding 415 unsupported_encoding (docs/callbacks.md).

const BODY_LIMIT = 4096
let exporter: TestExporter
const scrape = async () => (await fetch(`${exporter.url}/metrics`)).text()
const rejected = (metrics: string, reason: string) =>
  sampleValue(metrics, 'tencent_chat_exporter_rejected_callbacks_total', { reason })
const api = (command: string) => ({ sdkappid: SDKAPPID, service_name: 'openim', command })
const signed = () => callbackUrl(exporter.url, { token: TOKEN })

beforeAll(async () => {
  exporter = await startExporter({
    config: { sdkAppIds: new Set([SDKAPPID]), callbackToken: TOKEN, bodyLimitBytes: BODY_LIMIT },
  })
})
afterAll(() => exporter.close())

describe('Content-Encoding of callback bodies', () => {
  it.each([
    ['gzip', 'gzip', gzipSync],
    ['deflate', 'deflate', deflateSync],
    ['GZIP (codings are case-insensitive)', 'GZIP', gzipSync],
    ['gzip in a deflate header (zlib tells them apart)', 'deflate', gzipSync],
  ] as const)('decodes a %s body and records the alert', async (_name, header, encode) => {
    const command = `encoded_${header}_${encode.name}`
    const answer = await postCallback(signed(), encode(alertBody({ Command: command, Request: 321 })), {
      'content-encoding': header,
      'content-type': 'application/json',
    })
    expect(answer.status).toBe(200)
    expect(answer.text).toBe('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}')
    expect(sampleValue(await scrape(), 'tencent_chat_api_requests_per_second', api(command))).toBe(321)
  })

  it('accepts identity as no encoding', async () => {
    const answer = await postCallback(signed(), alertBody({ Command: 'identity' }), {
      'content-encoding': 'identity',
    })
    expect(answer.status).toBe(200)
  })

  it.each(['br', 'compress', 'x-unknown', 'gzip, gzip'])(
    'answers 415 unsupported_encoding to Content-Encoding %s, counted, series untouched',
    async (coding) => {
      const before = await scrape()
      const answer = await postCallback(signed(), alertBody({ Command: 'never' }), {
        'content-encoding': coding,
      })
      expect(answer.status).toBe(415)
      const body = JSON.parse(answer.text)
      expect(body).toEqual({
        ActionStatus: 'FAIL',
        ErrorCode: 41501,
        ErrorInfo: `unsupported_encoding: Content-Encoding ${JSON.stringify(coding)} is not supported; send gzip, deflate or no Content-Encoding`,
      })
      const after = await scrape()
      expect(rejected(after, 'unsupported_encoding')).toBe(
        (rejected(before, 'unsupported_encoding') ?? 0) + 1,
      )
      expect(sampleValue(after, 'tencent_chat_api_overlimit_alerts_total', api('never'))).toBeUndefined()
      const logged = exporter.logs.filter((line) => line.msg === 'callback rejected').at(-1)
      expect(logged).toMatchObject({ level: 'warn', reason: 'unsupported_encoding', status: 415 })
    },
  )

  it('starts unsupported_encoding at 0', async () => {
    const fresh = await startExporter()
    const metrics = await (await fetch(`${fresh.url}/metrics`)).text()
    await fresh.close()
    expect(rejected(metrics, 'unsupported_encoding')).toBe(0)
  })

  it('answers body_too_large to a small gzip bomb, after BODY_LIMIT_BYTES decoded bytes', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 2 ** 20, ' '))
    expect(bomb.length).toBeLessThan(BODY_LIMIT * 20)
    const before = rejected(await scrape(), 'body_too_large') ?? 0
    const answer = await postCallback(signed(), bomb, { 'content-encoding': 'gzip' })
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.text).ErrorInfo).toBe(
      `body_too_large: the body is larger than BODY_LIMIT_BYTES (${BODY_LIMIT} bytes)`,
    )
    expect(answer.headers.get('connection')).toBe('close')
    expect(rejected(await scrape(), 'body_too_large')).toBe(before + 1)
  })

  it('accepts a gzip body that decodes to exactly BODY_LIMIT_BYTES', async () => {
    const base = alertBody({ Padding: '' })
    const body = alertBody({ Padding: 'x'.repeat(BODY_LIMIT - base.length) })
    expect(Buffer.byteLength(body)).toBe(BODY_LIMIT)
    expect((await postCallback(signed(), gzipSync(body), { 'content-encoding': 'gzip' })).status).toBe(200)
  })

  it('bounds the bytes received too: empty gzip members that decode to nothing are body_too_large', async () => {
    const empty = gzipSync(Buffer.alloc(0))
    const members = Buffer.concat(
      Array.from({ length: Math.ceil((BODY_LIMIT * 2) / empty.length) }, () => empty),
    )
    const answer = await postCallback(signed(), members, { 'content-encoding': 'gzip' })
    expect(answer.status).toBe(413)
  })

  it.each([
    ['not gzip at all', Buffer.from(alertBody()), 'incorrect header check'],
    ['truncated gzip', gzipSync(alertBody()).subarray(0, 20), 'unexpected end of file'],
  ])('answers malformed_json to a body that does not decode (%s)', async (_name, body, detail) => {
    const answer = await postCallback(signed(), body, { 'content-encoding': 'gzip' })
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.text).ErrorInfo).toBe(
      `malformed_json: the body could not be decoded as gzip: ${detail}`,
    )
  })

  it('answers malformed_json "the body is empty" to an empty gzip body and to white space', async () => {
    for (const [body, headers] of [
      [gzipSync(''), { 'content-encoding': 'gzip' }],
      [' \r\n\t', {}],
    ] as const) {
      const answer = await postCallback(signed(), body, headers)
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.text).ErrorInfo).toBe('malformed_json: the body is empty')
    }
  })

  it('lets a client that leaves mid-way through a gzip body go, and serves the next', async () => {
    const compressed = gzipSync(alertBody())
    await new Promise<void>((resolve) => {
      const req = request(signed(), {
        method: 'POST',
        headers: { 'content-encoding': 'gzip', 'content-length': compressed.length },
      })
      req.on('error', () => resolve())
      req.write(compressed.subarray(0, 10))
      setTimeout(() => {
        req.destroy()
        resolve()
      }, 100)
    })
    const answer = await postCallback(signed(), gzipSync(alertBody({ Command: 'after_abort' })), {
      'content-encoding': 'gzip',
    })
    expect(answer.status).toBe(200)
  })
})
