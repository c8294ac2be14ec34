import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, type FakeChatCall, startFakeChat } from './support/fake-chat.js'
import { startMeter } from './support/meter.js'
import {
  API_OF_METHOD,
  drivePythonClient,
  type PythonCall,
  type PythonRun,
  type PythonStep,
} from './support/python-client.js'
import { apiOf, matching, samplesOf, scrape } from './support/samples.js'
import { expectNoSecrets, secretsOfQuery } from './support/secrets.js'
import { withinOneSecond } from './support/whole-seconds.js'

// The real Python client of Chat's REST API (tencentcloud-sdk-python-im), pointed at the meter as an app
// would point it, against a fake Chat that checks every UserSig and enforces per-second limits. The meter
// must pass every call and answer through unchanged and count exactly what the fake Chat counted.

const APP = { sdkappid: '1400000001', identifier: 'meter-admin-q7x', key: 'python-client-app-key-5f0c1e' }

// Each API appears in one step only, so that the peak of an API is that of its step.
const STEPS: PythonStep[] = [
  { method: 'add_single_user', calls: 3 },
  { method: 'check_user_online', calls: 2 },
  // Above the fake Chat's limit of 5 a second: 60007 for the rest.
  { method: 'send_message', calls: 12, concurrent: true },
  // Chat documents 1 call a second for get_appid_group_list.
  { method: 'get_group', calls: 3 },
  // An expired UserSig: 70001.
  { method: 'search_user', calls: 2, expire_time: -30 },
]
/** Times a step is run again when its calls did not all fall within one second. */
const MAX_RERUNS = 6

interface MadeCall extends PythonCall {
  method: string
  fake: FakeChatCall
}

describe('the real Python client through the REST meter', { timeout: 60_000 }, () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  const made: MadeCall[] = []
  /** The steps as run, last attempt last. */
  const attempts = new Map<string, boolean[]>()
  let client = ''

  beforeAll(async () => {
    chat = await startFakeChat({
      ...APP,
      limits: { 'openim/sendmsg': 5, 'group_open_http_svc/get_appid_group_list': 1 },
      extra: (api) => (api === 'openim/sendmsg' ? { MsgTime: 1_765_000_000, MsgKey: '1_2_3' } : {}),
    })
    exporter = await startMeter(chat)
    const run = (steps: PythonStep[]) =>
      drivePythonClient({
        url: `${exporter.egressUrl}/v4`,
        sdkappid: Number(APP.sdkappid),
        key: APP.key,
        admin: APP.identifier,
        steps,
      })
    let pending = STEPS
    for (let round = 0; round <= MAX_RERUNS && pending.length > 0; round++) {
      const result: PythonRun = await run(pending)
      client = result.client
      pending = pending.filter((step, index) => {
        const calls = (result.steps[index]?.calls ?? []).map((call) => ({
          ...call,
          method: step.method,
          fake: fakeCallOf(call, result.stderr),
        }))
        made.push(...calls)
        const clean = withinOneSecond(
          calls.map((call) => ({ sentMs: call.sent_ms, arrivedMs: call.fake.arrivedMs })),
        )
        attempts.set(step.method, [...(attempts.get(step.method) ?? []), clean])
        return !clean
      })
    }
  }, 240_000)
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  function fakeCallOf(call: PythonCall, stderr: string): FakeChatCall {
    if (call.error !== undefined) throw new Error(`the Python client got no answer: ${stderr}`)
    const found = chat.calls.find((received) => received.random === call.query?.random)
    if (found === undefined)
      throw new Error(`the fake Chat never saw the call with random ${call.query?.random}`)
    return found
  }

  it('ran the client named in the requirements, every step with its calls within one second', () => {
    expect(client).toBe('0.9.4')
    for (const step of STEPS) expect(attempts.get(step.method)?.at(-1), step.method).toBe(true)
    expect(made.length).toBe(chat.calls.length)
  })

  it('sent each call to the API the client chose, with its query byte for byte', () => {
    for (const call of made) {
      expect(call.fake.api).toBe(API_OF_METHOD[call.method as keyof typeof API_OF_METHOD])
      expect(call.fake.target).toBe(`${call.path}?${call.raw_query}`)
      expect(call.fake.identifier).toBe(APP.identifier)
    }
  })

  it('passed every answer back to the client byte for byte', () => {
    for (const call of made) {
      expect(call.status).toBe(200)
      expect(call.content_encoding ?? undefined).toBeUndefined()
      expect(Buffer.from(call.body_base64 ?? '', 'base64').equals(call.fake.answer)).toBe(true)
    }
  })

  it('counts per API and ErrorCode exactly what the fake Chat counted, 60007 and 70001 included', async () => {
    const fake = Object.fromEntries(chat.counts())
    expect(Object.keys(fake)).toEqual(
      expect.arrayContaining([
        'openim/sendmsg 0',
        'openim/sendmsg 60007',
        'group_open_http_svc/get_appid_group_list 60007',
        'im_open_login_svc/account_check 70001',
      ]),
    )
    const metrics = await scrape(exporter.metricsUrl)
    const counted: Record<string, number> = {}
    for (const { labels, value } of samplesOf(metrics, 'tencent_chat_rest_requests_total')) {
      expect(labels.sdkappid).toBe(APP.sdkappid)
      expect(labels.action_status).toBe(labels.error_code === '0' ? 'OK' : 'FAIL')
      counted[`${apiOf(labels)} ${labels.error_code}`] = value
    }
    expect(counted).toEqual(fake)
    for (const { value } of samplesOf(metrics, 'tencent_chat_rest_failures_total')) expect(value).toBe(0)
    expect(samplesOf(metrics, 'tencent_chat_rest_requests_in_flight')[0]?.value).toBe(0)
  })

  it("shows as each API's peak per second the fake Chat's own most calls within one second", async () => {
    const before = Math.floor(Date.now() / 1000)
    const metrics = await scrape(exporter.metricsUrl)
    const after = Math.floor(Date.now() / 1000)
    const peaks = samplesOf(metrics, 'tencent_chat_rest_peak_requests_per_second')
    expect(peaks.map(({ labels }) => apiOf(labels)).sort()).toEqual(
      STEPS.map((step) => API_OF_METHOD[step.method]).sort(),
    )
    for (const { labels, value } of peaks) {
      // The window of the scrape ends in the second it was collected: one of these, usually the same.
      const fakePeaks = new Set<number>()
      for (let second = before; second <= after; second++)
        fakePeaks.add(chat.peaks(second).get(apiOf(labels)) ?? 0)
      expect([...fakePeaks], apiOf(labels)).toContain(value)
    }
    const sendmsg = matching(peaks, { service_name: 'openim', command: 'sendmsg' })[0]
    expect(sendmsg?.value).toBe(12)
    const ratio = matching(samplesOf(metrics, 'tencent_chat_rest_peak_utilization_ratio'), {
      service_name: 'openim',
      command: 'sendmsg',
    })[0]
    // Tencent documents 200 calls a second for sendmsg.
    expect(ratio?.value).toBeCloseTo(12 / 200, 10)
  })

  it('writes none of the UserSigs, the identifier or the randoms in a log, a metric or a page', async () => {
    const secrets = made.flatMap((call) => secretsOfQuery(call.query ?? {}))
    expect(secrets).toContain(APP.identifier)
    await expectNoSecrets(exporter, secrets)
  })
})
