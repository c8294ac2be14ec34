import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { METER_REFUSALS } from '../../src/rest-meter/meter-answers.js'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { expectMeterAnswer, post } from './support/node-client.js'
import { samplesOf, scrape } from './support/samples.js'
import { expectNoSecrets, secretsOfQuery } from './support/secrets.js'

// What the meter refuses before Chat sees anything: a method other than POST, and a call for no app or
// for an app outside SDKAPPIDS. Each refusal is answered in Chat's shape, logged without the query, and
// counted.

describe('the REST meter refuses methods and apps it must not forward', () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  const queries: string[] = []
  const answers: string[] = []
  const query = (options?: Parameters<typeof restQuery>[0]) => {
    const made = restQuery(options)
    queries.push(made)
    return made
  }

  beforeAll(async () => {
    chat = await startFakeChat(APP)
    exporter = await startMeter(chat, { config: { sdkAppIds: new Set([APP.sdkappid]) } })
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  it.each(['GET', 'PUT', 'DELETE'])('answers %s with 405 and Allow: POST', async (method) => {
    const answer = await post(`${exporter.egressUrl}/v4/openim/sendmsg?${query()}`, '', { method })
    answers.push(answer.body.toString())
    expect(answer.status).toBe(405)
    expect(answer.headers.allow).toBe('POST')
    expectMeterAnswer(answer.body, 'method_not_allowed')
  })

  it('answers a call without a numeric sdkappid with 403', async () => {
    const withoutApp = query().replace(/sdkappid=\d+&/, '')
    for (const target of [withoutApp, `sdkappid=abc&${withoutApp}`, `sdkappid=&${withoutApp}`]) {
      const answer = await post(`${exporter.egressUrl}/v4/openim/sendmsg?${target}`, '{}')
      answers.push(answer.body.toString())
      expect(answer.status).toBe(403)
      expectMeterAnswer(answer.body, 'sdkappid_not_allowed')
    }
  })

  it('answers a call for an app outside SDKAPPIDS with 403, naming the sdkappid', async () => {
    const answer = await post(
      `${exporter.egressUrl}/v4/openim/sendmsg?${query({ sdkappid: '1400000999' })}`,
      '{}',
    )
    answers.push(answer.body.toString())
    expect(answer.status).toBe(403)
    expectMeterAnswer(answer.body, 'sdkappid_not_allowed')
    expect(JSON.parse(answer.body.toString()).ErrorInfo).toContain('1400000999')
  })

  it('forwarded none of them, and still forwards a good call', async () => {
    expect(chat.received()).toBe(0)
    const answer = await post(`${exporter.egressUrl}/v4/openim/sendmsg?${query()}`, '{}')
    expect(answer.status).toBe(200)
    expect(chat.calls.map((call) => call.errorCode)).toEqual([0])
  })

  it('counts each refusal by reason, every reason from 0', async () => {
    const metrics = await scrape(exporter.metricsUrl)
    const rejected = Object.fromEntries(
      samplesOf(metrics, 'tencent_chat_exporter_rejected_rest_requests_total').map((s) => [
        s.labels.reason,
        s.value,
      ]),
    )
    expect(rejected).toEqual({
      ...Object.fromEntries(METER_REFUSALS.map((reason) => [reason, 0])),
      method_not_allowed: 3,
      sdkappid_not_allowed: 4,
    })
  })

  it('logs each refusal at warn with its path and never its query', async () => {
    const refusals = exporter.logs.filter((line) => line.msg === 'REST call refused by the meter')
    expect(refusals.length).toBe(7)
    for (const line of refusals) {
      expect(line.level).toBe('warn')
      expect(line.path).toBe('/v4/openim/sendmsg')
      expect(['method_not_allowed', 'sdkappid_not_allowed']).toContain(line.reason)
    }
    await expectNoSecrets(exporter, queries.flatMap(secretsOfQuery), answers)
  })
})
