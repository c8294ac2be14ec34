import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manualClock } from '../../src/clock.js'
import { restRequestDuration } from '../../src/metrics/catalog.js'
import { readApiLimitsFileSync } from '../../src/rest-meter/api-limits-file.js'
import type { RestApiStatus } from '../../src/status/rest-meter-status.js'
import { alertBody, callbackUrl, postCallback, TOKEN } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from '../rest-meter/support/fake-chat.js'
import { APP, restQuery, startMeter } from '../rest-meter/support/meter.js'
import { post } from '../rest-meter/support/node-client.js'
import { apiOf, samplesOf, scrape } from '../rest-meter/support/samples.js'
import { expectNoSecrets, secretsOfQuery } from '../rest-meter/support/secrets.js'
import { shape } from './support/json-shape.js'

// The REST meter on the status page and in /api/v1/status, on the real server: calls made through the
// real meter to a fake Chat over HTTPS, and what the page and the JSON say of them, checked against what
// the fake Chat itself counted and what /metrics says. The exporter's clock stands still, so that every
// call falls in the same second of the meter's window: the peaks are the numbers of calls, whatever the
// machine's speed.

const SENDMSG = 'openim/sendmsg'
const IMPORT = 'im_open_login_svc/account_import'
const ONLINE = 'openim/query_online_status'
const CUSTOM = 'custom_svc/custom_cmd'

interface StatusJson {
  rest_meter: Record<string, unknown>
  offset: number
  limit: number
  totals: { apis: number; rest_apis: number; group_quota: number; callbacks: number }
  rest_apis: RestApiStatus[]
}

const status = async (base: string, query = '') =>
  (await (await fetch(`${base}/api/v1/status${query}`)).json()) as StatusJson
const page = async (base: string) => (await fetch(`${base}/`)).text()

/** The REST meter's section of the page, up to the next section. */
const restSection = (html: string) => {
  const start = html.indexOf('<h2 id="rest-meter">')
  expect(start).toBeGreaterThan(-1)
  const end = html.indexOf('<h2 ', start + 1)
  return html.slice(start, end === -1 ? undefined : end)
}

/** `v4/<service>/<command>` of each row of a section, in order. */
const rowApis = (section: string) =>
  [...section.matchAll(/<tr>\n<td class="mono">v4\/([^<]+)<\/td>/g)].map((match) => match[1])

const nameOf = (api: RestApiStatus) => `${api.service_name}/${api.command}`

describe('the REST meter on the status page and in its JSON', { timeout: 60_000 }, () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  let dir: string
  const clock = manualClock(Date.now())
  /** Every query sent, for their secrets. */
  const queries: string[] = []
  /** Calls sent per API. */
  const sent = new Map<string, number>()

  async function call(api: string, query = restQuery()): Promise<number> {
    queries.push(query)
    sent.set(api, (sent.get(api) ?? 0) + 1)
    const answer = await post(`${exporter.egressUrl}/v4/${api}?${query}`, '{}')
    return answer.status
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tce-status-rest-'))
    const file = join(dir, 'limits.yaml')
    await writeFile(file, `${SENDMSG}: 1\n`)
    const read = readApiLimitsFileSync(file)
    if (!read.ok) throw new Error(read.problem)
    // Chat allows one sendmsg a second here: a burst gets 60007.
    chat = await startFakeChat({ ...APP, limits: { [SENDMSG]: 1 } })
    exporter = await startMeter(chat, {
      config: {
        callbackToken: TOKEN,
        apiLimitsFile: { path: file, limits: read.limits, content: read.content ?? '' },
      },
      clock,
    })
    // Chat's alarm for account_import tells its limit.
    const [serviceName, command] = IMPORT.split('/')
    const alarm = await postCallback(
      callbackUrl(exporter.url, { token: TOKEN, requestTime: Math.floor(clock.now() / 1000) }),
      alertBody({ ServiceName: serviceName, Command: command, Limit: 50, Request: 45 }),
    )
    expect(alarm.status).toBe(200)

    // sendmsg until Chat has refused one for its rate (bounded).
    for (let i = 0; i < 50 && !chat.counts().has(`${SENDMSG} 60007`); i++) await call(SENDMSG)
    expect(chat.counts().get(`${SENDMSG} 60007`)).toBeGreaterThan(0)
    await call(IMPORT)
    // An expired UserSig: Chat answers 70001.
    await call(ONLINE, restQuery({ expireSeconds: -1 }))
    await call(ONLINE)
    await call(CUSTOM)
    // A UserSig that cannot be mistaken for anything else on a page: Chat cannot decode it (70003).
    await call(
      CUSTOM,
      new URLSearchParams({
        sdkappid: APP.sdkappid,
        identifier: APP.identifier,
        usersig: 'RECOGNISABLE-USERSIG-0123456789abcdef',
        random: '987654321',
        contenttype: 'json',
      }).toString(),
    )
    // Chat resets the connection: a chat_unreachable failure, not an answer.
    chat.setMode({ kind: 'reset' })
    expect(await call(CUSTOM)).toBe(502)
    chat.setMode({ kind: 'answer' })
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('lists each API with its calls, peak, known limit and its source, highest peak utilisation first', async () => {
    const json = await status(exporter.metricsUrl)
    expect(json.totals.rest_apis).toBe(4)
    // sendmsg over its configured limit of 1 (peak = every call: the clock stands still), account_import
    // 1 of its alarm's 50, query_online_status 2 of its documented 200, the custom API without a limit.
    expect(json.rest_apis.map(nameOf)).toEqual([SENDMSG, IMPORT, ONLINE, CUSTOM])
    const sendmsgCalls = sent.get(SENDMSG) as number
    const byName = Object.fromEntries(json.rest_apis.map((api) => [nameOf(api), api]))
    expect(byName[SENDMSG]).toMatchObject({
      sdkappid: APP.sdkappid,
      peak_requests_per_second: sendmsgCalls,
      requests_per_second: sendmsgCalls / 60,
      known_limit_per_second: 1,
      known_limit_source: 'configured',
      peak_utilization_ratio: sendmsgCalls,
    })
    expect(byName[IMPORT]).toMatchObject({
      peak_requests_per_second: 1,
      known_limit_per_second: 50,
      known_limit_source: 'alarm',
      peak_utilization_ratio: 1 / 50,
    })
    expect(byName[ONLINE]).toMatchObject({
      peak_requests_per_second: 2,
      requests_per_second: 2 / 60,
      known_limit_per_second: 200,
      known_limit_source: 'documented',
      peak_utilization_ratio: 2 / 200,
    })
    // Three calls started, the one Chat never answered included.
    expect(byName[CUSTOM]).toMatchObject({
      peak_requests_per_second: 3,
      known_limit_per_second: null,
      known_limit_source: null,
      peak_utilization_ratio: null,
    })
    for (const api of json.rest_apis) {
      expect(api.in_flight).toBe(0)
      expect(api.last_call_timestamp_seconds).toBe(clock.now() / 1000)
    }
  })

  it("counts Chat's answers per error code as the fake Chat counted them, and the failures", async () => {
    const json = await status(exporter.metricsUrl)
    const seen = new Map<string, number>()
    for (const api of json.rest_apis) {
      for (const answer of api.answers) {
        expect(answer.action_status).toBe(answer.error_code === '0' ? 'OK' : 'FAIL')
        seen.set(`${nameOf(api)} ${answer.error_code}`, answer.total)
      }
      // The most frequent first.
      const totals = api.answers.map((answer) => answer.total)
      expect(totals).toEqual([...totals].sort((a, b) => b - a))
    }
    const counted = new Map([...chat.counts()].map(([key, count]) => [key, count]))
    expect(seen).toEqual(counted)
    expect(seen.get(`${ONLINE} 70001`)).toBe(1)
    expect(seen.get(`${CUSTOM} 70003`)).toBe(1)
    // The same counts as the meter's metrics.
    const metrics = await scrape(exporter.metricsUrl)
    const exposed = new Map<string, number>()
    for (const { labels, value } of samplesOf(metrics, 'tencent_chat_rest_requests_total')) {
      if (value > 0) exposed.set(`${apiOf(labels)} ${labels.error_code}`, value)
    }
    expect(seen).toEqual(exposed)
    for (const api of json.rest_apis) {
      for (const { labels, value } of samplesOf(metrics, 'tencent_chat_rest_failures_total')) {
        if (apiOf(labels) === nameOf(api)) {
          expect(api.failures[labels.reason as keyof RestApiStatus['failures']]).toBe(value)
        }
      }
    }
    const custom = json.rest_apis.find((api) => nameOf(api) === CUSTOM)
    expect(custom?.failures).toEqual({ chat_unreachable: 1, chat_timeout: 0 })
    expect(json.rest_meter).toEqual({
      enabled: true,
      chat_rest_url: new URL(chat.url).origin,
      answered_total: chat.calls.length,
      failures: { chat_unreachable: 1, chat_timeout: 0 },
      in_flight: 0,
    })
  })

  it("bounds each API's p99 by the bucket of its duration histogram that holds it", async () => {
    const json = await status(exporter.metricsUrl)
    const metrics = await scrape(exporter.metricsUrl)
    const buckets = samplesOf(metrics, 'tencent_chat_rest_request_duration_seconds_bucket')
    const finite: readonly number[] = restRequestDuration.buckets
    for (const api of json.rest_apis) {
      const mine = buckets.filter((sample) => apiOf(sample.labels) === nameOf(api))
      const count = (le: string) => mine.find((sample) => sample.labels.le === le)?.value ?? 0
      const total = count('+Inf')
      expect(total).toBeGreaterThan(0)
      const bound = api.p99_duration_seconds_at_most
      expect(bound).not.toBeNull()
      // At least 99% of the calls at most the bound, fewer below the bucket before it.
      const at = bound === '+Inf' ? finite.length : finite.indexOf(bound as number)
      expect(at).toBeGreaterThan(-1)
      expect(count(bound === '+Inf' ? '+Inf' : String(bound))).toBeGreaterThanOrEqual(0.99 * total)
      if (at > 0) expect(count(String(finite[at - 1]))).toBeLessThan(0.99 * total)
    }
  })

  it('shows the same rows on the page, in the same order, with the limit source, answers and a bar', async () => {
    const html = await page(exporter.metricsUrl)
    expect(html).toContain(
      `REST meter <b class="ok">on</b> → <code>${new URL(chat.url).origin}</code>: <span class="ok">answered ${chat.calls.length}</span>, <span class="bad">chat_unreachable 1</span>`,
    )
    const section = restSection(html)
    expect(section).toContain('Chat REST API calls')
    expect(rowApis(section)).toEqual([SENDMSG, IMPORT, ONLINE, CUSTOM])
    const rows = section.split('<tr>\n').slice(1)
    const [sendmsg, accountImport, online, custom] = rows as [string, string, string, string]
    expect(sendmsg).toContain('>API_LIMITS_FILE</span>')
    expect(sendmsg).toContain('<span class="pct over">')
    expect(sendmsg).toContain('over limit')
    expect(sendmsg).toContain('<span class="bad">FAIL 60007</span>')
    expect(accountImport).toContain('50 <span class="muted" title="the Limit of Chat')
    expect(accountImport).toContain('>alarm</span>')
    expect(accountImport).toContain('<span class="pct ">2%</span>')
    expect(online).toContain(
      '200 <span class="muted" title="Tencent&#39;s published default for this API">documented</span>',
    )
    expect(online).toContain('<span class="bad">FAIL 70001</span> 1')
    expect(custom).toContain('title="no known limit: set it in API_LIMITS_FILE">–</span>')
    expect(custom).toContain('<span class="bad">chat_unreachable</span> 1')
    for (const row of rows) expect(row).toMatch(/data-label="p99">(≤ [\d.,]+ m?s|&gt; 10 s)<\/td>/)
  })

  it('answers with the fields of the example in docs/operations.md, each of the same kind', async () => {
    const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8')
    const section = doc.slice(doc.indexOf('## Status page'))
    // The second example: the REST meter's fields.
    const text = [...section.matchAll(/```json\n([\s\S]*?)\n```/g)][1]?.[1]
    expect(text).toBeDefined()
    const example = JSON.parse(text as string) as Record<string, unknown>
    const { rest_meter, rest_apis } = await status(exporter.metricsUrl)
    expect(Object.keys(example)).toEqual(['rest_meter', 'rest_apis'])
    expect(shape(example)).toEqual(shape({ rest_meter, rest_apis }))
  })

  it('never shows a UserSig or the identifier, on the page or in the JSON', async () => {
    const secrets = queries.flatMap((query) => secretsOfQuery(query))
    expect(secrets).toContain('RECOGNISABLE-USERSIG-0123456789abcdef')
    await expectNoSecrets(exporter, secrets)
    // Also not some part of one, nor the query's other values.
    const texts = [await page(exporter.metricsUrl), JSON.stringify(await status(exporter.metricsUrl))]
    for (const text of texts) {
      expect(text).not.toMatch(/RECOGNISABLE|usersig|identifier=/i)
      expect(text).not.toContain(APP.identifier)
    }
  })
})

describe('many REST APIs', { timeout: 60_000 }, () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  const OWN = 102

  beforeAll(async () => {
    chat = await startFakeChat(APP)
    // MAX_SERIES 102: the 103rd API is counted under _other.
    exporter = await startMeter(chat, { config: { maxSeries: OWN } })
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  it('says so before the first call, with where to point the app', async () => {
    const section = restSection(await page(exporter.metricsUrl))
    expect(section).toContain('No REST call through the meter yet')
    expect(section).toContain('http://127.0.0.1:&lt;EGRESS_PORT&gt;/v4')
    expect(section).toContain(`${new URL(chat.url).origin}/v4`)
    const json = await status(exporter.metricsUrl)
    expect(json.rest_apis).toEqual([])
    expect(json.totals.rest_apis).toBe(0)
    expect(json.rest_meter).toMatchObject({ enabled: true, answered_total: 0 })
  })

  it('shows the first 100 and how many more; the JSON has them all, a page at a time', async () => {
    const commands = Array.from({ length: OWN + 2 }, (_, i) => `cmd${String(i).padStart(3, '0')}`)
    for (let from = 0; from < commands.length; from += 10) {
      await Promise.all(
        commands.slice(from, from + 10).map(async (command) => {
          const answer = await post(`${exporter.egressUrl}/v4/custom_svc/${command}?${restQuery()}`, '{}')
          expect(answer.status).toBe(200)
        }),
      )
    }
    const section = restSection(await page(exporter.metricsUrl))
    expect(rowApis(section)).toHaveLength(100)
    // 102 APIs of their own and _other (two calls).
    expect(section).toContain('and 3 more REST APIs, in <a href="/api/v1/status">')
    expect(section).toContain('103 APIs of at most 102')

    const first = await status(exporter.metricsUrl, '?limit=100')
    expect(first.totals.rest_apis).toBe(OWN + 1)
    expect(first.rest_apis).toHaveLength(100)
    const rest = await status(exporter.metricsUrl, '?offset=100&limit=100')
    expect(rest.rest_apis).toHaveLength(3)
    const all = [...first.rest_apis, ...rest.rest_apis]
    // _other has the highest peak (two calls) among equals without a known limit.
    expect(all[0]).toMatchObject({ sdkappid: '_other', command: '_other', peak_requests_per_second: 2 })
    expect(new Set(all.map(nameOf)).size).toBe(OWN + 1)
    const whole = await status(exporter.metricsUrl, '?limit=500')
    expect(whole.rest_apis.map(nameOf)).toEqual(all.map(nameOf))
  })
})

describe('without EGRESS_PORT', () => {
  let exporter: TestExporter
  beforeAll(async () => {
    exporter = await startExporter()
  })
  afterAll(() => exporter.close())

  it('says that the REST meter is off and how to turn it on', async () => {
    const html = await page(exporter.url)
    expect(html).toContain('REST meter <b>off</b> <span class="muted">(EGRESS_PORT unset)</span>')
    const section = restSection(html)
    expect(section).toContain('The REST meter is off.')
    expect(section).toContain('<code>EGRESS_PORT</code>')
    expect(section).toContain('docs/rest-meter.md')
    expect(section).not.toContain('<table')
    const json = await status(exporter.url)
    expect(json.rest_meter).toEqual({ enabled: false })
    expect(json.rest_apis).toEqual([])
    expect(json.totals.rest_apis).toBe(0)
  })
})
