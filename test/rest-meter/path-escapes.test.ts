import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { expectMeterAnswer, parseRawAnswer, rawExchange } from './support/node-client.js'
import { matching, samplesOf, scrape } from './support/samples.js'
import { expectNoSecrets, secretsOfQuery } from './support/secrets.js'

// The meter forwards `/v4/<servicename>/<command>` to CHAT_REST_URL and nothing else: a request target
// that tries to reach another path or host through it is refused with 404 and never reaches Chat. The
// targets are written on a plain socket, as sent: HTTP client libraries would normalise most of them.

const ESCAPES: Array<[string, (query: string) => string]> = [
  ['an encoded slash', (q) => `/v4/openim%2Fsendmsg?${q}`],
  ['an encoded slash in the command', (q) => `/v4/openim/send%2Fmsg?${q}`],
  ['an encoded slash before the API', (q) => `/v4%2Fopenim/sendmsg?${q}`],
  ['a dot-dot segment', (q) => `/v4/../admin/sendmsg?${q}`],
  ['a dot-dot command', (q) => `/v4/openim/..?${q}`],
  ['an encoded dot-dot', (q) => `/v4/%2e%2e/openim/sendmsg?${q}`],
  ['an encoded dot-dot command', (q) => `/v4/openim/%2E%2E?${q}`],
  ['a dot segment', (q) => `/v4/./sendmsg?${q}`],
  ['an absolute-form target', (q) => `http://evil.invalid/v4/openim/sendmsg?${q}`],
  ['an absolute-form target to Chat itself', (q) => `https://console.tim.qq.com/v4/openim/sendmsg?${q}`],
  ['the asterisk form', () => '*'],
  ['an extra segment', (q) => `/v4/openim/sendmsg/extra?${q}`],
  ['a trailing slash', (q) => `/v4/openim/sendmsg/?${q}`],
  ['a missing command', (q) => `/v4/openim?${q}`],
  ['an empty service name', (q) => `/v4//sendmsg?${q}`],
  ['an empty command', (q) => `/v4/openim/?${q}`],
  ['a doubled slash inside', (q) => `/v4/openim//sendmsg?${q}`],
  ['a doubled slash first', (q) => `//v4/openim/sendmsg?${q}`],
  ['a fragment', (q) => `/v4/openim/sendmsg#top?${q}`],
  ['a fragment after the query', (q) => `/v4/openim/sendmsg?${q}#top`],
  ['a backslash', (q) => `/v4/openim\\sendmsg?${q}`],
  ['a parameter segment', (q) => `/v4/openim/sendmsg;jsessionid=1?${q}`],
  ['another version', (q) => `/v5/openim/sendmsg?${q}`],
  ['an upper-case version', (q) => `/V4/openim/sendmsg?${q}`],
  ['no path', (q) => `/?${q}`],
]

describe('the REST meter is not an open proxy', () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  let port: number
  const queries: string[] = []
  const answers: string[] = []

  beforeAll(async () => {
    chat = await startFakeChat(APP)
    exporter = await startMeter(chat)
    port = Number(new URL(exporter.egressUrl).port)
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  it.each(ESCAPES)('refuses %s with 404 not_a_chat_api', async (_name, target) => {
    const query = restQuery()
    queries.push(query)
    const raw = await rawExchange(
      port,
      `POST ${target(query)} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    )
    const answer = parseRawAnswer(raw)
    answers.push(answer.body)
    expect(answer.status).toBe(404)
    expectMeterAnswer(answer.body, 'not_a_chat_api')
  })

  it('does not tunnel CONNECT', async () => {
    const raw = await rawExchange(port, 'CONNECT evil.invalid:443 HTTP/1.1\r\nHost: evil.invalid:443\r\n\r\n')
    expect(raw.startsWith('HTTP/1.1 200')).toBe(false)
  })

  it('let none of them reach Chat, and counted each as not_a_chat_api', async () => {
    expect(chat.received()).toBe(0)
    const metrics = await scrape(exporter.metricsUrl)
    const rejected = samplesOf(metrics, 'tencent_chat_exporter_rejected_rest_requests_total')
    expect(matching(rejected, { reason: 'not_a_chat_api' })[0]?.value).toBe(ESCAPES.length)
    expect(samplesOf(metrics, 'tencent_chat_rest_requests_total')).toEqual([])
  })

  it('wrote no query in its logs or answers', async () => {
    const refusals = exporter.logs.filter((line) => line.msg === 'REST call refused by the meter')
    // The first refusals of a minute are logged; the rest are counted in the next line that is.
    expect(refusals.length).toBeGreaterThan(0)
    for (const line of refusals) {
      expect(line.level).toBe('warn')
      expect(String(line.path)).not.toContain('?')
    }
    await expectNoSecrets(exporter, queries.flatMap(secretsOfQuery), answers)
  })
})
