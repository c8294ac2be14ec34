import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sampleValue } from '../helpers/callbacks.js'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'

describe('the REST meter forwards a call to Chat and back', () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  beforeAll(async () => {
    chat = await startFakeChat({ ...APP, limits: { 'openim/sendmsg': 2 } })
    exporter = await startMeter(chat)
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  it('passes the path, query and body unchanged and returns Chat answer byte for byte', async () => {
    const query = restQuery()
    const body = '{"From_Account":"a","To_Account":"b","MsgBody":[]}'
    const response = await fetch(`${exporter.egressUrl}/v4/openim/sendmsg?${query}`, { method: 'POST', body })
    const answer = Buffer.from(await response.arrayBuffer())
    expect(response.status).toBe(200)
    const call = chat.calls.at(-1)
    expect(call?.target).toBe(`/v4/openim/sendmsg?${query}`)
    expect(call?.requestBody.toString()).toBe(body)
    expect(call?.errorCode).toBe(0)
    expect(answer.equals(call?.answer as Buffer)).toBe(true)
    const metrics = await (await fetch(`${exporter.metricsUrl}/metrics`)).text()
    expect(
      sampleValue(metrics, 'tencent_chat_rest_requests_total', {
        sdkappid: APP.sdkappid,
        service_name: 'openim',
        command: 'sendmsg',
        action_status: 'OK',
        error_code: '0',
      }),
    ).toBe(1)
  })
})
