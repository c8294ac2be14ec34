import { createHash } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl, postCallback, SDKAPPID, TOKEN } from '../helpers/callbacks.js'
import { manualClock, startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { startProxy } from '../proxy/start-proxy.js'
import { startUpstream } from '../proxy/upstream-server.js'

// The status page and its JSON on the real server: what they show after real callbacks, their exact
// shape, escaping of what came from requests, and their security headers.

const CSP =
  /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/]+=*'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'$/
const MARKUP = '<script>alert(1)</script><b>bold'

interface StatusJson {
  version: string
  start_time_seconds: number
  mode: string
  rest_meter: Record<string, unknown>
  offset: number
  limit: number
  totals: { apis: number; rest_apis: number; group_quota: number; callbacks: number }
  apis: Array<Record<string, unknown>>
  rest_apis: Array<Record<string, unknown>>
  group_quota: Array<Record<string, unknown>>
  callbacks: Array<Record<string, unknown>>
  rejections: Array<Record<string, unknown>>
}

const page = async (base: string) => {
  const answer = await fetch(`${base}/`)
  return { answer, html: await answer.text() }
}
const status = async (base: string, query = '') =>
  (await (await fetch(`${base}/api/v1/status${query}`)).json()) as StatusJson

describe('a fresh exporter', () => {
  let exporter: TestExporter
  beforeAll(async () => {
    exporter = await startExporter({ config: { callbackPath: '/chat/hooks' } })
  })
  afterAll(() => exporter.close())

  it('says that no callback arrived yet, with the callback URL to set', async () => {
    const { answer, html } = await page(exporter.url)
    expect(answer.status).toBe(200)
    expect(html).toContain('No callback received yet')
    expect(html).toContain('https://&lt;host that reaches port 0&gt;/chat/hooks</code>')
    expect(html).toContain('No request rejected.')
    expect(html).toContain('authentication <b class="bad">off</b>')
  })

  it('answers with a Content-Security-Policy that allows its one style element, and nosniff', async () => {
    for (const path of ['/', '/api/v1/status']) {
      const answer = await fetch(`${exporter.url}${path}`)
      expect(answer.headers.get('content-security-policy')).toMatch(CSP)
      expect(answer.headers.get('x-content-type-options')).toBe('nosniff')
      expect(answer.headers.get('cache-control')).toBe('no-store')
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer')
    }
    const { answer, html } = await page(exporter.url)
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => match[1] as string)
    expect(styles).toHaveLength(1)
    const hash = createHash('sha256')
      .update(styles[0] as string)
      .digest('base64')
    expect(answer.headers.get('content-security-policy')).toContain(`'sha256-${hash}'`)
    // Nothing to load: no script, no external reference, no style attribute the policy would block.
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\sstyle=|src=/i)
  })

  it('answers /api/v1/status with exactly the documented fields', async () => {
    const answer = await fetch(`${exporter.url}/api/v1/status`)
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const json = (await answer.json()) as StatusJson
    expect(Object.keys(json)).toEqual([
      'version',
      'start_time_seconds',
      'mode',
      'rest_meter',
      'offset',
      'limit',
      'totals',
      'apis',
      'rest_apis',
      'group_quota',
      'callbacks',
      'rejections',
    ])
    expect(json).toMatchObject({
      offset: 0,
      limit: 100,
      totals: { apis: 0, rest_apis: 0, group_quota: 0, callbacks: 0 },
    })
    // Without EGRESS_PORT the REST meter is off, and says only that.
    expect(json.rest_meter).toEqual({ enabled: false })
    expect(json.rest_apis).toEqual([])
    expect(json.mode).toBe('alarms_only')
    expect(json.apis).toEqual([])
    expect(json.callbacks).toEqual([])
    expect(json.start_time_seconds).toBeGreaterThan(Date.now() / 1000 - 60)
    // Every reason, at zero until it happens.
    expect(json.rejections.map((entry) => entry.reason).sort()).toEqual(
      [
        'bad_signature',
        'body_too_large',
        'invalid_payload',
        'malformed_json',
        'missing_signature',
        'sdkappid_not_allowed',
        'stale_request',
        'unsupported_encoding',
      ].sort(),
    )
    for (const entry of json.rejections) {
      expect(entry).toEqual({
        reason: entry.reason,
        total: 0,
        last_timestamp_seconds: null,
        last_detail: null,
      })
    }
  })
})

describe('after alarms, callbacks and rejections', () => {
  const clock = manualClock(Math.floor(Date.now() / 1000) * 1000)
  let exporter: TestExporter
  const signed = (options: Parameters<typeof callbackUrl>[1] = {}) =>
    callbackUrl(exporter.url, { token: TOKEN, requestTime: clock.now() / 1000, ...options })

  beforeAll(async () => {
    exporter = await startExporter({
      config: { callbackToken: TOKEN, sdkAppIds: new Set([SDKAPPID]), alertTtlSeconds: 300 },
      clock,
    })
    // An API alerted long ago (expired by now), then three live ones, one over its limit and one at 0.
    await postCallback(signed(), alertBody({ Command: 'old_one', Request: 900, Limit: 1000 }))
    clock.advance(400_000)
    await postCallback(signed(), alertBody({ Command: 'sendmsg', Request: 170, Limit: 200 }))
    await postCallback(signed(), alertBody({ Command: 'batchsendmsg', Request: 510, Limit: 200 }))
    await postCallback(signed(), alertBody({ Command: 'batchsendmsg', Request: 520, Limit: 200 }))
    await postCallback(signed(), alertBody({ Command: 'nolimit', Request: 10, Limit: 0 }))
    await postCallback(
      signed({ command: 'Group.CallbackOnDailyGroupQuotaAlarm' }),
      JSON.stringify({
        CallbackCommand: 'Group.CallbackOnDailyGroupQuotaAlarm',
        QuotaUsed: 7321,
        Quota: 10000,
      }),
    )
    await postCallback(signed({ command: 'State.StateChange' }), '{}')
    clock.advance(5_000)
    // Rejections: a bad Sign, then a body field holding markup.
    await postCallback(signed({ token: 'wrong' }), alertBody())
    await postCallback(signed(), alertBody({ ServiceName: MARKUP }))
    clock.advance(10_000)
  })
  afterAll(() => exporter.close())

  it('lists the APIs live first, the highest utilisation first, with null utilisation when unknown', async () => {
    const json = await status(exporter.url)
    expect(json.apis.map((api) => api.command)).toEqual(['batchsendmsg', 'sendmsg', 'nolimit', 'old_one'])
    expect(json.apis[0]).toEqual({
      sdkappid: SDKAPPID,
      service_name: 'openim',
      command: 'batchsendmsg',
      requests_per_second: 520,
      request_limit_per_second: 200,
      utilization_ratio: 2.6,
      alerts_total: 2,
      last_alert_timestamp_seconds: (clock.now() - 15_000) / 1000,
      live: true,
    })
    expect(json.apis[2]).toMatchObject({ command: 'nolimit', utilization_ratio: null, live: true })
    expect(json.apis[3]).toMatchObject({ command: 'old_one', utilization_ratio: null, live: false })
    expect(json.group_quota).toEqual([
      {
        sdkappid: SDKAPPID,
        daily_net_increase: 7321,
        daily_quota: 10000,
        utilization_ratio: 0.7321,
        alerts_total: 1,
        last_alert_timestamp_seconds: (clock.now() - 15_000) / 1000,
        live: true,
      },
    ])
  })

  it('counts accepted callbacks per command and rejections per reason with the last detail', async () => {
    const json = await status(exporter.url)
    const accepted = Object.fromEntries(
      json.callbacks.map((entry) => [entry.callback_command, entry.accepted_total]),
    )
    expect(accepted).toEqual({
      'Alert.RequestOverLimit': 5,
      'Group.CallbackOnDailyGroupQuotaAlarm': 1,
      'State.StateChange': 1,
    })
    const reasons = Object.fromEntries(json.rejections.map((entry) => [entry.reason, entry]))
    expect(reasons.bad_signature).toEqual({
      reason: 'bad_signature',
      total: 1,
      last_timestamp_seconds: (clock.now() - 10_000) / 1000,
      last_detail: 'Sign does not match the configured token(s) and RequestTime',
    })
    expect(reasons.invalid_payload?.last_detail).toContain(MARKUP)
  })

  it('shows each row, over-limit visibly, and markup from a request as text', async () => {
    const { html } = await page(exporter.url)
    expect(html).toContain('v4/openim/batchsendmsg')
    expect(html).toMatch(/<span class="pct over">260%<\/span><span class="bar"><span class="fill w100 over">/)
    expect(html).toContain('<span class="tag bad">over limit</span>')
    expect(html).toMatch(/<span class="pct warn">85%<\/span>/)
    expect(html).toMatch(/v4\/openim\/old_one[\s\S]*?<span class="tag expired"/)
    expect(html).toContain('73%')
    expect(html).toContain('State.StateChange')
    expect(html).toContain('bad_signature')
    // The markup a client sent shows as text, never as elements.
    expect(html).not.toContain(MARKUP)
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;bold')
    expect(html).not.toMatch(/<script/i)
    // Never the token.
    expect(html).not.toContain(TOKEN)
    expect(html).toContain('Sign required, 1 token')
    expect(html).toContain(`<b>${SDKAPPID}</b>`)
  })

  it('says how many more APIs there are past the first 100; the JSON gives them a page at a time', async () => {
    for (let i = 0; i < 120; i += 1) {
      await postCallback(signed(), alertBody({ Command: `more${i}`, Request: 10, Limit: 200 }))
    }
    const { html } = await page(exporter.url)
    expect(html).toContain('and 24 more APIs')
    expect(html.match(/<tr class="(live|expired)">/g)?.length).toBe(100 + 1) // and the group quota row
    const first = await status(exporter.url)
    expect(first.apis).toHaveLength(100)
    expect(first.totals.apis).toBe(124)
    const rest = await status(exporter.url, '?offset=100')
    expect(rest).toMatchObject({ offset: 100, limit: 100 })
    expect(rest.apis).toHaveLength(24)
    const all = await status(exporter.url, '?limit=500')
    expect([...first.apis, ...rest.apis]).toEqual(all.apis)
  })

  it('reloads itself only when asked, and only at the offered intervals', async () => {
    const refresh = async (query: string) =>
      /<meta http-equiv="refresh" content="(\d+)">/.exec(
        await (await fetch(`${exporter.url}/${query}`)).text(),
      )?.[1]
    expect(await refresh('')).toBeUndefined()
    expect(await refresh('?refresh=10')).toBe('10')
    expect(await refresh('?refresh=1')).toBeUndefined()
    expect(await refresh('?refresh=%22%3E%3Cscript%3E')).toBeUndefined()
  })
})

describe('with METRICS_PORT', () => {
  let exporter: TestExporter
  afterEach(() => exporter.close())

  it('is on the metrics listener only; the callback listener says where it is', async () => {
    exporter = await startExporter({ config: { metricsPort: 0 } })
    expect((await page(exporter.metricsUrl)).html).toContain(
      '(PORT, the callback listener; this page is on METRICS_PORT)',
    )
    await postCallback(callbackUrl(exporter.url), alertBody())
    expect((await page(exporter.metricsUrl)).html).toContain('v4/openim/batchsendmsg')
    const pointer = await fetch(`${exporter.url}/`)
    expect(pointer.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await pointer.text()).toMatch(/the status page and \/metrics are on METRICS_PORT/)
    expect((await fetch(`${exporter.url}/api/v1/status`)).status).toBe(404)
  })
})

describe('in front-proxy mode', () => {
  it("shows the mode and the app's recent answers", async () => {
    const app = await startUpstream((_request, res) => {
      res.writeHead(500)
      res.end('no')
    })
    const proxy = await startProxy({ upstreamUrl: `${app.url}/hooks` })
    try {
      await postCallback(callbackUrl(proxy.url, { command: 'C2C.CallbackBeforeSendMsg' }), '{}')
      expect((await status(proxy.url)).mode).toBe('front_proxy')
      const { html } = await page(proxy.url)
      expect(html).toContain('mode <b>front proxy</b>')
      expect(html).toContain(`<code>${app.url}/hooks</code>`)
      expect(html).toMatch(/<span class="bad">http_error 1<\/span>/)
    } finally {
      await proxy.close()
      await app.close()
    }
  })
})

describe('a utilisation beyond every number', () => {
  it('is "+Inf" in the JSON, not the null of an unknown one, and shown over its limit first', async () => {
    const exporter = await startExporter()
    try {
      // 1e308 a second against a limit of 1e-300: the ratio overflows a double, as the metric's +Inf does.
      await postCallback(
        callbackUrl(exporter.url),
        alertBody({ Command: 'huge', Request: 1e308, Limit: 1e-300 }),
      )
      await postCallback(
        callbackUrl(exporter.url),
        alertBody({ Command: 'normal', Request: 510, Limit: 200 }),
      )
      await postCallback(callbackUrl(exporter.url), alertBody({ Command: 'nolimit', Request: 5, Limit: 0 }))
      const json = await status(exporter.url)
      expect(json.apis.map((api) => [api.command, api.utilization_ratio])).toEqual([
        ['huge', '+Inf'],
        ['normal', 2.55],
        ['nolimit', null],
      ])
      const { html } = await page(exporter.url)
      expect(html).toMatch(
        /v4\/openim\/huge[\s\S]*?<span class="pct over">\+Inf<\/span><span class="bar"><span class="fill w100 over"><\/span><\/span> <span class="tag bad">over limit<\/span>/,
      )
    } finally {
      await exporter.close()
    }
  })
})
