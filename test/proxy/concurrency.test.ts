import type { ServerResponse } from 'node:http'
import { Pool } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SDKAPPID, sampleValue } from '../helpers/callbacks.js'
import { startProxy, type TestProxy } from './start-proxy.js'
import { type FakeUpstream, type ReceivedRequest, startUpstream } from './upstream-server.js'

const CONCURRENCY = 500
const COMMAND = 'Group.CallbackBeforeSendMsg'

/** The app echoes each message's sequence number, so that every answer can be matched to its callback. */
function echo(request: ReceivedRequest, res: ServerResponse): void {
  const { MsgSeq } = JSON.parse(request.body.toString('utf8')) as { MsgSeq: number }
  res.writeHead(200, { 'Content-Type': 'application/json' })
  res.end(`{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":${MsgSeq % 2},"MsgSeq":${MsgSeq}}`)
}

describe('front-proxy under concurrency', () => {
  let upstream: FakeUpstream
  let proxy: TestProxy
  let chat: Pool

  beforeAll(async () => {
    upstream = await startUpstream()
    proxy = await startProxy({
      upstreamUrl: `${upstream.url}/callback`,
      // Generous: this test is about every callback arriving once, not about speed on a busy CI machine.
      upstream: { timeoutMs: 15_000 },
    })
    // Chat's side: one keep-alive connection per callback in flight.
    chat = new Pool(proxy.url, { connections: CONCURRENCY })
  })
  afterAll(async () => {
    await chat.close()
    await proxy.close()
    await upstream.close()
  })

  async function sendBatch(
    firstSeq: number,
  ): Promise<Array<{ seq: number; status: number; answer: string }>> {
    return Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, i) => {
        const seq = firstSeq + i
        const response = await chat.request({
          method: 'POST',
          path: `/callback?SdkAppid=${SDKAPPID}&CallbackCommand=${COMMAND}&contenttype=json&OptPlatform=Web`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ CallbackCommand: COMMAND, GroupId: '@TGS#1', MsgSeq: seq }),
        })
        return { seq, status: response.statusCode, answer: await response.body.text() }
      }),
    )
  }

  it('forwards 500 concurrent callbacks each exactly once and answers each with its own answer', async () => {
    // The app holds every answer until all 500 are in flight at once, then answers them all.
    const waiting: Array<() => void> = []
    upstream.setHandler((request, res) => {
      waiting.push(() => echo(request, res))
      if (waiting.length === CONCURRENCY) for (const answer of waiting.splice(0)) answer()
    })

    const answers = await sendBatch(0)

    for (const { seq, status, answer } of answers) {
      expect(status).toBe(200)
      expect(JSON.parse(answer)).toMatchObject({ MsgSeq: seq, ErrorCode: seq % 2 })
    }
    const seqs = upstream.received.map((request) => JSON.parse(request.body.toString('utf8')).MsgSeq)
    expect(seqs.length).toBe(CONCURRENCY)
    expect(new Set(seqs).size).toBe(CONCURRENCY)
  }, 60_000)

  it('reuses its keep-alive connections to the app for the next 500', async () => {
    const connectionsBefore = upstream.connections
    upstream.setHandler(echo)

    const answers = await sendBatch(CONCURRENCY)

    expect(answers.every(({ seq, answer }) => JSON.parse(answer).MsgSeq === seq)).toBe(true)
    expect(upstream.received.length).toBe(2 * CONCURRENCY)
    expect(connectionsBefore).toBeLessThanOrEqual(CONCURRENCY)
    expect(upstream.connections).toBe(connectionsBefore)

    const metrics = await proxy.scrape()
    const requests = (outcome: string) =>
      sampleValue(metrics, 'tencent_chat_exporter_upstream_requests_total', {
        callback_command: COMMAND,
        outcome,
      })
    expect(requests('ok')).toBe(2 * CONCURRENCY)
    expect(requests('timeout')).toBe(0)
    expect(requests('connection_error')).toBe(0)
    const decisions = (code: string) =>
      sampleValue(metrics, 'tencent_chat_callback_decisions_total', {
        sdkappid: SDKAPPID,
        callback_command: COMMAND,
        error_code: code,
      })
    expect([decisions('0'), decisions('1')]).toEqual([CONCURRENCY, CONCURRENCY])
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_callbacks_total', {
        sdkappid: SDKAPPID,
        callback_command: COMMAND,
      }),
    ).toBe(2 * CONCURRENCY)
  }, 60_000)
})
