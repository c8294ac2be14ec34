import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { post } from './support/node-client.js'
import { apiOf, samplesOf, scrape } from './support/samples.js'

// MAX_SERIES bounds the APIs with series of their own: an app calling ever new paths cannot grow the
// series without bound. Calls to later APIs are counted under `_other`, nothing is lost.

const FIRST = ['openim/sendmsg', 'sns/friend_get']
const LATER = ['profile/portrait_get', 'openim/query_online_status', 'custom_svc/custom_cmd']

describe('the REST meter past MAX_SERIES', () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }

  beforeAll(async () => {
    chat = await startFakeChat(APP)
    exporter = await startMeter(chat, { config: { maxSeries: FIRST.length } })
    for (const api of [...FIRST, ...LATER, ...FIRST]) {
      const answer = await post(`${exporter.egressUrl}/v4/${api}?${restQuery()}`, '{}')
      expect(answer.status).toBe(200)
    }
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  it('gives the first APIs series of their own and counts the later ones under _other', async () => {
    const metrics = await scrape(exporter.metricsUrl)
    const counted = Object.fromEntries(
      samplesOf(metrics, 'tencent_chat_rest_requests_total').map(({ labels, value }) => [
        `${labels.sdkappid} ${apiOf(labels)}`,
        value,
      ]),
    )
    expect(counted).toEqual({
      [`${APP.sdkappid} openim/sendmsg`]: 2,
      [`${APP.sdkappid} sns/friend_get`]: 2,
      '_other _other/_other': LATER.length,
    })
    expect(chat.calls.length).toBe(2 * FIRST.length + LATER.length)
  })

  it('keeps every per-API family within the cap', async () => {
    const metrics = await scrape(exporter.metricsUrl)
    for (const family of [
      'tencent_chat_rest_peak_requests_per_second',
      'tencent_chat_rest_request_duration_seconds_count',
    ]) {
      const apis = samplesOf(metrics, family).map(({ labels }) => apiOf(labels))
      expect(apis.sort(), family).toEqual([...FIRST, '_other/_other'].sort())
    }
    const peakOfOther = samplesOf(metrics, 'tencent_chat_rest_peak_requests_per_second').find(
      ({ labels }) => labels.service_name === '_other',
    )
    expect(peakOfOther?.value).toBeGreaterThanOrEqual(1)
    expect(metrics).not.toContain('portrait_get')
    expect(metrics).not.toContain('custom_cmd')
  })
})
