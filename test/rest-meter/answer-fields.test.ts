import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { post } from './support/node-client.js'
import { apiOf, samplesOf, scrape } from './support/samples.js'

// The meter reads ActionStatus and ErrorCode from Chat's answer as it streams past, and passes the
// answer back unchanged: compressed when the app asked for it and Chat compressed it, and with the two
// fields found even after a large field.

/** A large field before the standard ones: nested values, escapes, brackets inside strings. */
const LEADING = {
  MsgList: Array.from({ length: 400 }, (_, index) => ({
    MsgSeq: index,
    MsgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `"ErrorCode":1 {[}] \\ 你好 ${index}` } }],
  })),
}

describe("the fields of Chat's answer", () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }

  beforeAll(async () => {
    chat = await startFakeChat({
      ...APP,
      gzip: true,
      leading: (api) => (api === 'openim/admin_getroammsg' ? LEADING : {}),
    })
    exporter = await startMeter(chat)
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  const call = (api: string, acceptEncoding?: string, expireSeconds?: number) =>
    post(`${exporter.egressUrl}/v4/${api}?${restQuery({ expireSeconds })}`, '{}', {
      headers: acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding },
    })

  it('passes a gzip-compressed answer back compressed, byte for byte', async () => {
    const answer = await call('openim/sendmsg', 'gzip, deflate')
    expect(answer.headers['content-encoding']).toBe('gzip')
    expect(answer.body.equals(chat.calls.at(-1)?.answer as Buffer)).toBe(true)
    expect(JSON.parse(gunzipSync(answer.body).toString()).ActionStatus).toBe('OK')
  })

  it('passes an uncompressed answer to an app that did not ask for compression', async () => {
    const answer = await call('openim/sendmsg')
    expect(answer.headers['content-encoding']).toBeUndefined()
    expect(answer.body.equals(chat.calls.at(-1)?.answer as Buffer)).toBe(true)
  })

  it('finds the fields after a large field, compressed or not', async () => {
    // An expired UserSig for every other call: Chat answers FAIL and 70001.
    for (const [encoding, expireSeconds] of [
      ['gzip', 86_400],
      ['gzip', -10],
      [undefined, 86_400],
      [undefined, -10],
    ] as const) {
      const answer = await call('openim/admin_getroammsg', encoding, expireSeconds)
      expect(answer.body.equals(chat.calls.at(-1)?.answer as Buffer)).toBe(true)
      expect(answer.body.length).toBeGreaterThan(encoding === 'gzip' ? 1000 : 40_000)
    }
  })

  it('counts each answer by the ActionStatus and ErrorCode that Chat wrote', async () => {
    const metrics = await scrape(exporter.metricsUrl)
    const counted = Object.fromEntries(
      samplesOf(metrics, 'tencent_chat_rest_requests_total').map(({ labels, value }) => [
        `${apiOf(labels)} ${labels.error_code}`,
        value,
      ]),
    )
    const fake = Object.fromEntries(chat.counts())
    expect(counted).toEqual(fake)
    expect(fake['openim/admin_getroammsg 0']).toBe(2)
    expect(fake['openim/admin_getroammsg 70001']).toBe(2)
    for (const { labels } of samplesOf(metrics, 'tencent_chat_rest_requests_total')) {
      expect(labels.action_status).toBe(labels.error_code === '0' ? 'OK' : 'FAIL')
    }
  })
})
