import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MeterFailure } from '../../src/rest-meter/meter-answers.js'
import { freePort } from '../helpers/free-port.js'
import type { TestExporter } from '../helpers/start-exporter.js'
import { makePki, type Pki } from '../security/support/pki.js'
import { type FakeChat, type FakeChatMode, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { expectMeterAnswer, post } from './support/node-client.js'
import { matching, samplesOf, scrape } from './support/samples.js'
import { expectNoSecrets, secretsOfQuery } from './support/secrets.js'

// Chat gives no answer: the app gets the meter's own 502 or 504 in Chat's shape at once, the call is
// counted as a failure by reason (not as an answer), logged without the query, and nothing is left in
// flight.

const API = { sdkappid: APP.sdkappid, service_name: 'openim', command: 'sendmsg' }

async function failingCall(exporter: TestExporter & { egressUrl: string }, queries: string[]) {
  const query = restQuery()
  queries.push(query)
  return post(`${exporter.egressUrl}/v4/openim/sendmsg?${query}`, '{"To_Account":"a"}')
}

async function expectFailureCounted(exporter: TestExporter, reason: MeterFailure, count: number) {
  const metrics = await scrape(exporter.metricsUrl)
  const failures = samplesOf(metrics, 'tencent_chat_rest_failures_total')
  expect(matching(failures, { ...API, reason })[0]?.value).toBe(count)
  expect(samplesOf(metrics, 'tencent_chat_rest_requests_total')).toEqual([])
  expect(samplesOf(metrics, 'tencent_chat_rest_requests_in_flight')[0]?.value).toBe(0)
}

function expectLogged(exporter: TestExporter, reason: MeterFailure) {
  const line = exporter.logs.find((log) => log.msg === 'REST call to Chat failed' && log.reason === reason)
  expect(line?.level).toBe('warn')
  expect(line?.api).toBe('v4/openim/sendmsg')
}

describe('Chat answers nothing usable', () => {
  let chat: FakeChat
  /** Waits long for Chat: a reset or garbage fails the call at once, however loaded the machine. */
  let patient: TestExporter & { egressUrl: string }
  /** Gives up after half a second: the slow case. */
  let impatient: TestExporter & { egressUrl: string }
  const queries: string[] = []
  const answers: string[] = []

  beforeAll(async () => {
    chat = await startFakeChat(APP)
    patient = await startMeter(chat, { egress: { timeoutMs: 60_000 } })
    impatient = await startMeter(chat, { egress: { timeoutMs: 500 } })
  })
  afterAll(async () => {
    await patient?.close()
    await impatient?.close()
    await chat?.close()
  })

  it('Chat slow: 504 chat_timeout once CHAT_REST_TIMEOUT_MS passed', async () => {
    chat.setMode({ kind: 'slow', delayMs: 120_000 })
    const answer = await failingCall(impatient, queries)
    answers.push(answer.body.toString())
    expect(answer.status).toBe(504)
    expectMeterAnswer(answer.body, 'chat_timeout')
    await expectFailureCounted(impatient, 'chat_timeout', 1)
    expectLogged(impatient, 'chat_timeout')
  })

  const cases: Array<[string, FakeChatMode]> = [
    ['resetting the connection', { kind: 'reset' }],
    ['answering bytes that are not HTTP', { kind: 'garbage' }],
  ]
  let unreachable = 0
  it.each(cases)('Chat %s: 502 chat_unreachable', async (_name, mode) => {
    chat.setMode(mode)
    const answer = await failingCall(patient, queries)
    answers.push(answer.body.toString())
    expect(answer.status).toBe(502)
    expectMeterAnswer(answer.body, 'chat_unreachable')
    await expectFailureCounted(patient, 'chat_unreachable', ++unreachable)
    expectLogged(patient, 'chat_unreachable')
  })

  it('writes no query in a log, a metric, a page or an answer', async () => {
    await expectNoSecrets(patient, queries.flatMap(secretsOfQuery), answers)
    await expectNoSecrets(impatient, queries.flatMap(secretsOfQuery), answers)
  })
})

describe('Chat cannot be reached', () => {
  let pki: Pki
  let exporter: (TestExporter & { egressUrl: string }) | undefined
  beforeAll(() => {
    pki = makePki()
  })
  afterAll(async () => {
    await exporter?.close()
    pki?.remove()
  })

  it('a closed port: 502 chat_unreachable', async () => {
    exporter = await startMeter({ url: `https://127.0.0.1:${await freePort()}`, caFile: pki.ca.cert })
    const queries: string[] = []
    const answer = await failingCall(exporter, queries)
    expect(answer.status).toBe(502)
    expectMeterAnswer(answer.body, 'chat_unreachable')
    await expectFailureCounted(exporter, 'chat_unreachable', 1)
    expectLogged(exporter, 'chat_unreachable')
    await expectNoSecrets(exporter, queries.flatMap(secretsOfQuery), [answer.body.toString()])
  })
})

describe("Chat's certificate is not trusted", () => {
  let chat: FakeChat
  let stranger: Pki
  let exporter: TestExporter & { egressUrl: string }
  beforeAll(async () => {
    chat = await startFakeChat(APP)
    // The meter trusts another CA than the one that signed the fake Chat's certificate.
    stranger = makePki()
    exporter = await startMeter({ url: chat.url, caFile: stranger.ca.cert })
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
    stranger?.remove()
  })

  it('the call fails with 502 chat_unreachable and reaches nothing', async () => {
    const answer = await failingCall(exporter, [])
    expect(answer.status).toBe(502)
    expectMeterAnswer(answer.body, 'chat_unreachable')
    expect(chat.received()).toBe(0)
    await expectFailureCounted(exporter, 'chat_unreachable', 1)
    const line = exporter.logs.find((log) => log.msg === 'REST call to Chat failed')
    expect(String(line?.detail)).toMatch(/certificate/i)
  })
})
