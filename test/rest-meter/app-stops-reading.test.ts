import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestExporter } from '../helpers/start-exporter.js'
import { type FakeChat, startFakeChat } from './support/fake-chat.js'
import { APP, restQuery, startMeter } from './support/meter.js'
import { samplesOf, scrape } from './support/samples.js'

// The app stops reading a large answer half-way and then leaves: the meter, waiting for the app's socket
// to drain, must notice that it left, stop reading Chat's answer and leave nothing in flight.

/** Larger than what the sockets of both sides can buffer, so that the meter has to wait to write. */
const ANSWER_FILLER_BYTES = 48 * 1024 * 1024

/** Polls `check` until it holds, for at most 30 s. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`still not ${what} after 30 s`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('an app that stops reading a large answer and leaves', () => {
  let chat: FakeChat
  let exporter: TestExporter & { egressUrl: string }
  const inFlight = async () =>
    samplesOf(await scrape(exporter.metricsUrl), 'tencent_chat_rest_requests_in_flight')[0]?.value

  beforeAll(async () => {
    chat = await startFakeChat({ ...APP, extra: () => ({ Filler: 'x'.repeat(ANSWER_FILLER_BYTES) }) })
    exporter = await startMeter(chat, { egress: { timeoutMs: 120_000 } })
  })
  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
  })

  it('leaves nothing in flight once the app is gone', { timeout: 60_000 }, async () => {
    const received = { bytes: 0 }
    const answerStarted = new Promise<void>((resolve, reject) => {
      const req = request(`${exporter.egressUrl}/v4/openim/sendmsg?${restQuery()}`, {
        method: 'POST',
        agent: false,
      })
      req.on('error', () => {})
      req.on('response', (res) => {
        // Reads the first bytes, then stops reading: the meter's writes back up.
        res.once('data', (chunk: Buffer) => {
          received.bytes += chunk.length
          res.pause()
          resolve()
          setTimeout(() => req.destroy(), 500)
        })
      })
      req.on('close', () => reject(new Error('closed before the answer started')))
      req.end('{}')
    })
    await answerStarted
    expect(received.bytes).toBeLessThan(ANSWER_FILLER_BYTES)
    await until(async () => (await inFlight()) === 0, 'out of flight')
    // Chat's answer did not reach the app whole: not counted as answered.
    expect(samplesOf(await scrape(exporter.metricsUrl), 'tencent_chat_rest_requests_total')).toEqual([])
  })
})
