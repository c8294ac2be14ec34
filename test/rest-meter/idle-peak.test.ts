import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { manualClock } from '../../src/clock.js'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { post } from './support/node-client.js'
import { samplesOf, scrape } from './support/samples.js'

// An API without a call for ALERT_TTL_SECONDS loses its peak and peak utilisation series (a peak of a
// silent API would be a stale figure); its counters, histogram and known limit stay. The meter's clock
// is moved by hand.

const TTL_SECONDS = 30
const PER_API = [
  'tencent_chat_rest_peak_requests_per_second',
  'tencent_chat_rest_peak_utilization_ratio',
  'tencent_chat_rest_requests_total',
  'tencent_chat_rest_request_duration_seconds_count',
  'tencent_chat_api_known_limit_per_second',
]

describe('the peak of an idle API', () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  const clock = manualClock(Date.UTC(2026, 11, 7, 6, 0, 0, 200))
  const call = () => post(`${exporter.egressUrl}/v4/openim/sendmsg?${restQuery()}`, '{}')
  const present = async () => {
    const metrics = await scrape(exporter.metricsUrl)
    return Object.fromEntries(PER_API.map((name) => [name, samplesOf(metrics, name)[0]?.value]))
  }

  beforeAll(async () => {
    chat = await startFakeChat(APP)
    exporter = await startMeter(chat, { config: { alertTtlSeconds: TTL_SECONDS }, clock })
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  it('is shown while the API had a call within ALERT_TTL_SECONDS', async () => {
    for (let i = 0; i < 4; i++) expect((await call()).status).toBe(200)
    clock.advance(TTL_SECONDS * 1000)
    expect(await present()).toEqual({
      tencent_chat_rest_peak_requests_per_second: 4,
      // Tencent documents 200 calls a second for sendmsg.
      tencent_chat_rest_peak_utilization_ratio: 4 / 200,
      tencent_chat_rest_requests_total: 4,
      tencent_chat_rest_request_duration_seconds_count: 4,
      tencent_chat_api_known_limit_per_second: 200,
    })
  })

  it('goes once ALERT_TTL_SECONDS passed without a call; counters and the known limit stay', async () => {
    clock.advance(1)
    expect(await present()).toEqual({
      tencent_chat_rest_peak_requests_per_second: undefined,
      tencent_chat_rest_peak_utilization_ratio: undefined,
      tencent_chat_rest_requests_total: 4,
      tencent_chat_rest_request_duration_seconds_count: 4,
      tencent_chat_api_known_limit_per_second: 200,
    })
  })

  it('comes back with the next call, counting only the calls of the last 60 s', async () => {
    clock.advance(60_000)
    expect((await call()).status).toBe(200)
    const after = await present()
    expect(after.tencent_chat_rest_peak_requests_per_second).toBe(1)
    expect(after.tencent_chat_rest_requests_total).toBe(5)
  })
})
