import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { computeSign } from '../../src/auth/signature.js'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue, TOKEN } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

const BODY_LIMIT = 4096
let exporter: TestExporter
const scrape = async () => (await fetch(`${exporter.url}/metrics`)).text()
const rejected = (metrics: string, reason: string) =>
  sampleValue(metrics, 'tencent_chat_exporter_rejected_callbacks_total', { reason })
/** Everything that describes tracked series; a rejection must leave it byte for byte as it was. */
const seriesState = (metrics: string) =>
  metrics
    .split('\n')
    .filter((line) => line.startsWith('tencent_chat_api_') || line.startsWith('tencent_chat_group_'))
    .join('\n')

beforeAll(async () => {
  exporter = await startExporter({
    config: { sdkAppIds: new Set([SDKAPPID]), callbackToken: TOKEN, bodyLimitBytes: BODY_LIMIT },
  })
  // One tracked API, so that "nothing about existing series changes" has something to check.
  const answer = await postCallback(callbackUrl(exporter.url, { token: TOKEN }), alertBody())
  expect(answer.status).toBe(200)
})
afterAll(() => exporter.close())

const now = () => Math.floor(Date.now() / 1000)
const signed = (options: Parameters<typeof callbackUrl>[1] = {}) =>
  callbackUrl(exporter.url, { token: TOKEN, ...options })

const cases: Array<{
  name: string
  reason: string
  status: number
  url: () => string
  body: string | Buffer
}> = [
  {
    name: 'a body that is not JSON',
    reason: 'malformed_json',
    status: 400,
    url: signed,
    body: '{"ServiceName":',
  },
  { name: 'an empty body', reason: 'malformed_json', status: 400, url: signed, body: '' },
  {
    name: 'a missing field',
    reason: 'invalid_payload',
    status: 400,
    url: signed,
    body: alertBody({ Limit: undefined }),
  },
  { name: 'a JSON array', reason: 'invalid_payload', status: 400, url: signed, body: '[1,2]' },
  { name: 'JSON null', reason: 'invalid_payload', status: 400, url: signed, body: 'null' },
  {
    name: 'a negative Request',
    reason: 'invalid_payload',
    status: 400,
    url: signed,
    body: alertBody({ Request: -5 }),
  },
  {
    name: 'a label with unicode',
    reason: 'invalid_payload',
    status: 400,
    url: signed,
    body: alertBody({ Command: 'send\u0000msg' }),
  },
  {
    name: 'body and query CallbackCommand that differ',
    reason: 'invalid_payload',
    status: 400,
    url: signed,
    body: alertBody({ CallbackCommand: 'State.StateChange' }),
  },
  {
    name: 'no SdkAppid',
    reason: 'invalid_payload',
    status: 400,
    url: () => `${exporter.url}/callback?CallbackCommand=Alert.RequestOverLimit`,
    body: alertBody(),
  },
  {
    name: 'no CallbackCommand',
    reason: 'invalid_payload',
    status: 400,
    url: () => `${exporter.url}/callback?SdkAppid=${SDKAPPID}`,
    body: alertBody(),
  },
  {
    name: 'an SdkAppid not in SDKAPPIDS',
    reason: 'sdkappid_not_allowed',
    status: 403,
    url: () => signed({ sdkAppId: '1400000009' }),
    body: alertBody(),
  },
  {
    name: 'no Sign',
    reason: 'missing_signature',
    status: 401,
    url: () => callbackUrl(exporter.url, { extra: { RequestTime: String(now()) } }),
    body: alertBody(),
  },
  {
    name: 'no RequestTime',
    reason: 'missing_signature',
    status: 401,
    url: () => callbackUrl(exporter.url, { extra: { Sign: computeSign(TOKEN, now()) } }),
    body: alertBody(),
  },
  {
    name: 'a RequestTime 61 s old',
    reason: 'stale_request',
    status: 401,
    url: () => signed({ requestTime: now() - 61 }),
    body: alertBody(),
  },
  {
    name: 'a RequestTime 61 s ahead',
    reason: 'stale_request',
    status: 401,
    url: () => signed({ requestTime: now() + 61 }),
    body: alertBody(),
  },
  {
    name: 'a Sign made with another token',
    reason: 'bad_signature',
    status: 401,
    url: () => callbackUrl(exporter.url, { token: 'not-the-token' }),
    body: alertBody(),
  },
  {
    name: 'a body over BODY_LIMIT_BYTES',
    reason: 'body_too_large',
    status: 413,
    url: signed,
    body: alertBody({ Padding: 'x'.repeat(BODY_LIMIT) }),
  },
]

describe('rejected callbacks (docs/callbacks.md, Rejections)', () => {
  it('starts every reason at 0', async () => {
    const fresh = await startExporter()
    const metrics = await (await fetch(`${fresh.url}/metrics`)).text()
    await fresh.close()
    for (const reason of new Set(cases.map((c) => c.reason))) expect(rejected(metrics, reason)).toBe(0)
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_dropped_alerts_total', { reason: 'series_limit' }),
    ).toBe(0)
  })

  it.each(cases)('$name → $status $reason, counted, logged once, series untouched', async (c) => {
    const before = await scrape()
    const logsBefore = exporter.logs.length
    const url = c.url()
    const answer = await postCallback(url, c.body)

    expect(answer.status).toBe(c.status)
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const body = JSON.parse(answer.text)
    expect(Object.keys(body).sort()).toEqual(['ActionStatus', 'ErrorCode', 'ErrorInfo'])
    expect(body.ActionStatus).toBe('FAIL')
    expect(body.ErrorCode).not.toBe(0)
    expect(body.ErrorInfo).toMatch(new RegExp(`^${c.reason}: .+`))

    const after = await scrape()
    expect(rejected(after, c.reason)).toBe((rejected(before, c.reason) ?? 0) + 1)
    expect(seriesState(after)).toBe(seriesState(before))

    const lines = exporter.logs.slice(logsBefore).filter((line) => line.msg === 'callback rejected')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({ level: 'warn', reason: c.reason, status: c.status })
    const logged = JSON.stringify(lines[0])
    expect(logged).not.toContain(TOKEN)
    const sign = new URL(url).searchParams.get('Sign')
    if (sign) expect(logged).not.toContain(sign)
  })

  it('refuses an over-limit Content-Length before reading the body, and closes the connection', async () => {
    const answer = await postCallback(signed(), 'x'.repeat(BODY_LIMIT + 1))
    expect(answer.status).toBe(413)
    expect(answer.headers.get('connection')).toBe('close')
  })

  it('accepts a body of exactly BODY_LIMIT_BYTES', async () => {
    const base = alertBody({ Padding: '' })
    const body = alertBody({ Padding: 'x'.repeat(BODY_LIMIT - base.length) })
    expect(Buffer.byteLength(body)).toBe(BODY_LIMIT)
    expect((await postCallback(signed(), body)).status).toBe(200)
  })

  it('never answers 500 to hostile input', async () => {
    const deep = `${'['.repeat(2000)}${']'.repeat(2000)}`
    const deepObject = `{"ServiceName":${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`
    const bodies = [
      deep,
      deepObject,
      alertBody({ Request: 1e308, Limit: 1e-308 }),
      alertBody({ Request: '9'.repeat(400) }),
      alertBody({ ServiceName: '\u202Eevil', Command: '\ud800' }),
      alertBody({ ServiceName: { toString: 'x' } }),
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      '\uFEFF{}',
      '{"__proto__":{"polluted":1},"ServiceName":"a","Command":"b","Request":1,"Limit":2}',
    ]
    for (const body of bodies) {
      const answer = await postCallback(signed(), body)
      expect(answer.status, String(body).slice(0, 40)).toBeLessThan(500)
      expect(() => JSON.parse(answer.text)).not.toThrow()
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('limits rejection logging per reason, and says how many lines it held back', async () => {
    const logsBefore = exporter.logs.length
    for (let i = 0; i < 30; i++) await postCallback(signed({ sdkAppId: '1400000777' }), alertBody())
    const lines = exporter.logs
      .slice(logsBefore)
      .filter((line) => line.msg === 'callback rejected' && line.reason === 'sdkappid_not_allowed')
    // The earlier sdkappid_not_allowed case used one line of the burst of 10 a minute.
    expect(lines.length).toBeLessThanOrEqual(10)
    expect(lines.length).toBeGreaterThan(0)
    const metrics = await scrape()
    expect(rejected(metrics, 'sdkappid_not_allowed')).toBe(31)
  })
})
