import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { expectMeterAnswer, post } from './support/node-client.js'
import { matching, samplesOf, scrape } from './support/samples.js'

// REST_BODY_LIMIT_BYTES bounds what the meter forwards: a larger body is refused with 413, declared
// (Content-Length: refused before Chat is called) or not (chunked: the call to Chat is cut off once the
// limit is passed, so that Chat never gets a complete request).

const LIMIT = 1024

/** A JSON body of exactly `bytes` bytes. */
const bodyOf = (bytes: number) => `{"Text":"${'x'.repeat(bytes - 11)}"}`

/** The same body as a stream in pieces, sent chunked (no Content-Length). */
const chunked = (body: string) =>
  Readable.from(body.match(/[\s\S]{1,300}/g)?.map((piece) => Buffer.from(piece)) ?? [])

describe('a body over REST_BODY_LIMIT_BYTES', () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  const url = () => `${exporter.egressUrl}/v4/openim/sendmsg?${restQuery()}`

  beforeAll(async () => {
    chat = await startFakeChat(APP)
    exporter = await startMeter(chat, { egress: { bodyLimitBytes: LIMIT } })
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  it('forwards a body of exactly the limit, declared or chunked', async () => {
    expect(Buffer.byteLength(bodyOf(LIMIT))).toBe(LIMIT)
    expect((await post(url(), bodyOf(LIMIT))).status).toBe(200)
    expect((await post(url(), chunked(bodyOf(LIMIT)))).status).toBe(200)
    expect(chat.calls.map((call) => call.requestBody.length)).toEqual([LIMIT, LIMIT])
    expect(chat.calls[1]?.requestHeaders['transfer-encoding']).toBe('chunked')
  })

  it('refuses a declared Content-Length over it with 413 before calling Chat', async () => {
    const received = chat.received()
    const answer = await post(url(), bodyOf(LIMIT + 1))
    expect(answer.status).toBe(413)
    expectMeterAnswer(answer.body, 'body_too_large')
    expect(answer.headers.connection).toBe('close')
    expect(chat.received()).toBe(received)
  })

  it('refuses a chunked body over it with 413; Chat never gets the whole request', async () => {
    const calls = chat.calls.length
    const answer = await post(url(), chunked(bodyOf(4 * LIMIT)))
    expect(answer.status).toBe(413)
    expectMeterAnswer(answer.body, 'body_too_large')
    // Chat may have seen the start of the request, cut off: it never answered one.
    expect(chat.calls.length).toBe(calls)
  })

  it('counts both refusals as body_too_large, and neither as a call Chat answered', async () => {
    const metrics = await scrape(exporter.metricsUrl)
    const rejected = samplesOf(metrics, 'tencent_chat_exporter_rejected_rest_requests_total')
    expect(matching(rejected, { reason: 'body_too_large' })[0]?.value).toBe(2)
    const answered = samplesOf(metrics, 'tencent_chat_rest_requests_total')
    expect(answered.reduce((sum, { value }) => sum + value, 0)).toBe(2)
    expect(samplesOf(metrics, 'tencent_chat_rest_requests_in_flight')[0]?.value).toBe(0)
    const refusals = exporter.logs.filter((line) => line.reason === 'body_too_large')
    expect(refusals.map((line) => line.level)).toEqual(['warn', 'warn'])
  })
})
