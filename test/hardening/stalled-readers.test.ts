import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { measureStalledReaders } from '../../scripts/stalled-readers.js'
import { SEND_DEADLINE, sendDeadlineMs } from '../../src/http/send-deadline.js'
import { alertBody, callbackUrl, postCallback } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { type BuiltEntryPoint, buildEntryPoint } from '../startup/exporter-process.js'

// Clients that ask for /metrics and never read: the built exporter at its 2,000-API cap, memory read
// from /proc, the readers' connections from the kernel's table. Linux only, like the deployment.

const MiB = 1024 * 1024

describe('stalled /metrics readers', () => {
  let entry: BuiltEntryPoint
  beforeAll(async () => {
    entry = await buildEntryPoint()
  })
  afterAll(() => entry?.remove())

  it('are reset once the send deadline has passed, and the memory they held comes back', async () => {
    const result = await measureStalledReaders({
      main: entry.main,
      apis: 2000,
      readers: 50,
      followMs: 55_000,
    })
    const deadlineMs = sendDeadlineMs(result.expositionBytes)
    const summary = JSON.stringify(result)
    // The readers did stall: megabytes of answers waited in the kernel for them.
    expect(result.unreadPeakBytes, summary).toBeGreaterThan(10 * MiB)
    // None was reset before the deadline, and all were within the follow time, well before the
    // keep-alive timeout (65 s) that used to be their only limit. How soon after the deadline the last
    // one goes depends on how fast the machine renders fifty scrapes in turn.
    expect(result.firstClosedMs, summary).toBeGreaterThanOrEqual(deadlineMs - 250)
    expect(result.stillOpen, summary).toBe(0)
    // What the exporter held for them is freed: resident memory after a full GC is back where it was.
    expect(result.rssAfterMiB, summary).toBeLessThan(result.rssBeforeMiB + 20)
  }, 90_000)
})

describe('a slow reader within the deadline (Prometheus on a slow link)', () => {
  let exporter: TestExporter
  beforeAll(async () => {
    exporter = await startExporter({ config: { maxSeries: 2000, alertTtlSeconds: 3600, logLevel: 'info' } })
    for (let next = 0; next < 2000; next += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          postCallback(callbackUrl(exporter.url), alertBody({ Command: `command${next + i}` })),
        ),
      )
    }
  })
  afterAll(() => exporter.close())

  it('a client that reads its answer gets a FIN right after it, not a reset at the deadline', async () => {
    const socket = connect(Number(new URL(exporter.url).port), '127.0.0.1')
    const started = performance.now()
    let received = ''
    const ended = new Promise<{ afterMs: number; reset: boolean }>((resolve) => {
      let reset = false
      socket.on('error', () => {
        reset = true
      })
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1')
      })
      socket.on('close', () => resolve({ afterMs: performance.now() - started, reset }))
    })
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n')
    const { afterMs, reset } = await ended
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(received).toMatch(/\r\nConnection: close\r\n/i)
    expect(reset).toBe(false)
    // Well before the deadline of a gzip answer (5 s and a little).
    expect(afterMs).toBeLessThan(SEND_DEADLINE.graceMs - 1000)
  })

  it('gets the whole uncompressed exposition, read at twice the minimum pace', async () => {
    const socket = connect(Number(new URL(exporter.url).port), '127.0.0.1')
    let closed = false
    socket.on('close', () => {
      closed = true
    })
    socket.on('error', () => {})
    socket.pause()
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
    const pace = 2 * SEND_DEADLINE.minBytesPerSecond
    const chunks: Buffer[] = []
    let received = 0
    const complete = () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const headerEnd = text.indexOf('\r\n\r\n')
      const length = Number(/\r\nContent-Length: (\d+)\r\n/i.exec(text)?.[1])
      return { text, headerEnd, length, done: headerEnd !== -1 && text.length - headerEnd - 4 >= length }
    }
    const started = performance.now()
    // Every 100 ms, take what the pace allows, as a slow link would deliver it; the rest stays queued.
    while (!closed && !complete().done && performance.now() - started < 25_000) {
      await sleep(100)
      const allowed = Math.floor(((performance.now() - started) / 1000) * pace) - received
      const chunk: Buffer | null = socket.read(Math.min(allowed, socket.readableLength))
      if (chunk) {
        chunks.push(chunk)
        received += chunk.length
      }
    }
    const { text, headerEnd, length, done } = complete()
    expect(text).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(length).toBeGreaterThan(MiB)
    expect(done).toBe(true)
    expect(text.length - headerEnd - 4).toBe(length)
    // It took a while, as intended: longer than the grace alone, shorter than the deadline.
    const tookMs = performance.now() - started
    expect(tookMs).toBeGreaterThan((length / pace) * 1000 - 500)
    expect(tookMs).toBeLessThan(sendDeadlineMs(length))
    // The answer closes the connection: a client that read it closes its side, nothing is reset.
    expect(text.slice(0, headerEnd)).toMatch(/\r\nConnection: close(\r\n|$)/i)
    socket.destroy()
  }, 30_000)
})
