import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { samplesOf, scrape } from './support/samples.js'

// The app gives up on a call while Chat is still working on it: the meter stops waiting for Chat and
// counts the call neither as answered nor as failed; nothing stays in flight.

/** Polls `check` until it holds, for at most 30 s. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not ${what} after 30 s`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('an app that leaves before the answer', () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  const inFlight = async () =>
    samplesOf(await scrape(exporter.metricsUrl), 'tencent_chat_rest_requests_in_flight')[0]?.value

  beforeAll(async () => {
    chat = await startFakeChat(APP)
    chat.setMode({ kind: 'slow', delayMs: 120_000 })
    exporter = await startMeter(chat, { egress: { timeoutMs: 120_000 } })
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  it('is neither answered nor failed, and leaves nothing in flight', async () => {
    const req = request(`${exporter.egressUrl}/v4/openim/sendmsg?${restQuery()}`, {
      method: 'POST',
      agent: false,
    })
    req.on('error', () => {})
    req.end('{}')
    await until(() => chat.calls.length === 1, 'received by Chat')
    expect(await inFlight()).toBe(1)
    req.destroy()
    await until(async () => (await inFlight()) === 0, 'out of flight')
    const metrics = await scrape(exporter.metricsUrl)
    expect(samplesOf(metrics, 'tencent_chat_rest_requests_total')).toEqual([])
    for (const { value } of samplesOf(metrics, 'tencent_chat_rest_failures_total')) expect(value).toBe(0)
    expect(exporter.logs.filter((line) => line.msg === 'REST call to Chat failed')).toEqual([])
  })
})
