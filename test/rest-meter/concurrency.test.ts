import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { post, type RawAnswer } from './support/node-client.js'
import { apiOf, samplesOf, scrape } from './support/samples.js'

// A thousand calls at once, over as many connections, each with its own answer: every one is answered
// with its own bytes, the counts equal the fake Chat's, and nothing stays in flight.

const CALLS = 1000
const APIS = ['openim/sendmsg', 'openim/query_online_status', 'sns/friend_get', 'profile/portrait_get']

describe('1,000 concurrent calls through the REST meter', { timeout: 300_000 }, () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  const sent: Array<{ random: string; answer: RawAnswer }> = []

  beforeAll(async () => {
    // Limits above the burst: the answers differ by the call's own random, not by throttling.
    chat = await startFakeChat({
      ...APP,
      limits: Object.fromEntries(APIS.map((api) => [api, CALLS])),
      extra: () => ({ Filler: 'x'.repeat(2048) }),
    })
    // A loaded machine may take seconds for a thousand TLS handshakes: the meter must not give up.
    exporter = await startMeter(chat, { egress: { timeoutMs: 120_000 } })
    const calls = Array.from({ length: CALLS }, async (_, index) => {
      const query = restQuery()
      const random = new URLSearchParams(query).get('random') as string
      const api = APIS[index % APIS.length] as string
      const answer = await post(`${exporter.egressUrl}/v4/${api}?${query}`, `{"Index":${index}}`)
      sent.push({ random, answer })
    })
    await Promise.all(calls)
  }, 300_000)
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  it('answered every call with the answer Chat gave to that call', () => {
    expect(sent.length).toBe(CALLS)
    expect(chat.calls.length).toBe(CALLS)
    const byRandom = new Map(chat.calls.map((call) => [call.random, call]))
    for (const { random, answer } of sent) {
      expect(answer.status).toBe(200)
      expect(answer.body.equals(byRandom.get(random)?.answer ?? Buffer.alloc(0))).toBe(true)
    }
  })

  it("counted exactly the fake Chat's calls per API, with nothing left in flight", async () => {
    const metrics = await scrape(exporter.metricsUrl)
    const counted = Object.fromEntries(
      samplesOf(metrics, 'tencent_chat_rest_requests_total').map(({ labels, value }) => [
        `${apiOf(labels)} ${labels.error_code}`,
        value,
      ]),
    )
    expect(counted).toEqual(Object.fromEntries(chat.counts()))
    expect(Object.values(counted).reduce((sum, value) => sum + value, 0)).toBe(CALLS)
    expect(samplesOf(metrics, 'tencent_chat_rest_requests_in_flight')[0]?.value).toBe(0)
    for (const { value } of samplesOf(metrics, 'tencent_chat_rest_failures_total')) expect(value).toBe(0)
    const durations = samplesOf(metrics, 'tencent_chat_rest_request_duration_seconds_count')
    expect(durations.reduce((sum, { value }) => sum + value, 0)).toBe(CALLS)
  })
})
