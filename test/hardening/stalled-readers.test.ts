import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { measureStalledReaders } from '../../scripts/stalled-readers.js'
import { SEND_DEADLINE, sendDeadlineMs } from '../../src/http/send-deadline.js'
import { alertBody, callbackUrl, postCallback } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { type BuiltEntryPoint, buildEntryPoint } from '../startup/exporter-process.js'
import { until } from './support/server-side.js'

// Clients that ask for /metrics and never read. The built exporter at its 2,000-API cap, memory read
// from /proc and the readers' connections from the kernel's table (Linux only, like the deployment);
// then the exporter in process, where the server's own events tell when each answer was ready and
// when its connection was reset.

const MiB = 1024 * 1024
/** Readers in process: each waits for the renders ahead of it (one at a time), then for its deadline. */
const READERS = 20
/** A reset comes from a timer; only an event loop stalled for seconds could delay it more. */
const LATE_MS = 5_000

describe('stalled /metrics readers', () => {
  let entry: BuiltEntryPoint
  beforeAll(async () => {
    entry = await buildEntryPoint()
  })
  afterAll(() => entry?.remove())

  it('are all reset, and the memory they held comes back', async () => {
    const result = await measureStalledReaders({
      main: entry.main,
      apis: 2000,
      readers: 50,
      followMs: 55_000,
    })
    const summary = JSON.stringify(result)
    // The readers did stall: megabytes of answers waited in the kernel for them.
    expect(result.unreadPeakBytes, summary).toBeGreaterThan(10 * MiB)
    // All were closed within the follow time, well before the keep-alive timeout (65 s) that used to be
    // their only limit. When each was reset, against its own deadline, is judged in process below.
    expect(result.stillOpen, summary).toBe(0)
    // What the exporter held for them is freed: resident memory after a full GC is back where it was.
    expect(result.rssAfterMiB, summary).toBeLessThan(result.rssBeforeMiB + 20)
  }, 90_000)
})

describe('slow and stalled readers of a 2,000-API /metrics, in process', () => {
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
    let received = ''
    const ended = new Promise<{ reset: boolean }>((resolve) => {
      let reset = false
      socket.on('error', () => {
        reset = true
      })
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1')
      })
      socket.on('close', () => resolve({ reset }))
    })
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n')
    const { reset } = await ended
    expect(received).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(received).toMatch(/\r\nConnection: close\r\n/i)
    // The exporter's FIN, once the client had read it all: a reset would only come at the deadline.
    expect(reset).toBe(false)
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
    // It took a while, as intended: the client's pace bounds it from below.
    expect(performance.now() - started).toBeGreaterThan((length / pace) * 1000 - 500)
    // The answer closes the connection: a client that read it closes its side, nothing is reset.
    expect(text.slice(0, headerEnd)).toMatch(/\r\nConnection: close(\r\n|$)/i)
    socket.destroy()
  }, 30_000)

  it('readers that never read are reset once their deadline has passed, never before', async () => {
    const server = exporter.servers[0]
    if (server === undefined) throw new Error('no listener')
    interface Seen {
      requestedAt: number
      readyAt?: number
      closedAt?: number
      bytes?: number
    }
    const seen = new Map<number, Seen>()
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      if (req.url !== '/metrics') return
      const entry: Seen = { requestedAt: performance.now() }
      seen.set(req.socket.remotePort as number, entry)
      res.once('prefinish', () => {
        entry.readyAt = performance.now()
        entry.bytes = Number(res.getHeader('content-length'))
      })
      req.socket.once('close', () => {
        entry.closedAt = performance.now()
      })
    }
    server.on('request', onRequest)
    const port = Number(new URL(exporter.url).port)
    const readers: Socket[] = []
    const ports: number[] = []
    try {
      for (let i = 0; i < READERS; i += 1) {
        const reader: Socket = connect(port, '127.0.0.1', () => {
          ports.push(reader.localPort as number)
          reader.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
          reader.pause()
        })
        reader.on('error', () => {})
        readers.push(reader)
      }
      await until(
        () => ports.length === READERS && ports.every((p) => seen.get(p)?.closedAt !== undefined),
        'every reader reset by the exporter',
      )
    } finally {
      server.off('request', onRequest)
      for (const reader of readers) reader.destroy()
    }
    for (const p of ports) {
      const entry = seen.get(p) as Required<Seen>
      const deadlineMs = sendDeadlineMs(entry.bytes)
      const summary = JSON.stringify({ ...entry, deadlineMs })
      expect(entry.bytes, summary).toBeGreaterThan(MiB)
      // The deadline counts from when the answer was ready, which is after the request arrived.
      expect(entry.closedAt - entry.requestedAt, summary).toBeGreaterThanOrEqual(deadlineMs - 5)
      expect(entry.closedAt - entry.readyAt, summary).toBeLessThanOrEqual(deadlineMs + LATE_MS)
    }
    expect(
      exporter.logs.some((line) => line.msg === 'answer not read within the send deadline: connection reset'),
    ).toBe(true)
  }, 120_000)
})
