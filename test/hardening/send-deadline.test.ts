import { once } from 'node:events'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { connect, type Socket } from 'node:net'
import { Writable } from 'node:stream'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { SEND_DEADLINE, sendDeadline, sendDeadlineMs } from '../../src/http/send-deadline.js'
import { createLogger } from '../../src/logging/logger.js'
import { listen, portOf } from '../../src/server.js'
import { until } from './support/server-side.js'

// The send deadline: proportional to the answer's size, with a ceiling. Judged from the server's
// side: when the answer was ready and when the server closed the connection.

const MiB = 1024 * 1024
/** A reset comes from a timer; only an event loop stalled for seconds could delay it more. */
const LATE_MS = 5_000

describe('sendDeadlineMs', () => {
  it('is the grace plus the size at the minimum pace, at most a minute', () => {
    expect(sendDeadlineMs(43 * 1024)).toBe(5_000 + Math.ceil((43 / 128) * 1000))
    expect(sendDeadlineMs(1.2 * MiB)).toBeGreaterThan(14_000)
    expect(sendDeadlineMs(1.2 * MiB)).toBeLessThan(15_000)
    // 12 MB (20,000 tracked APIs, uncompressed) would be 96 s at the pace: no scraper waits that long.
    expect(SEND_DEADLINE.maxMs).toBe(60_000)
    expect(sendDeadlineMs(12_000_000)).toBe(60_000)
    expect(sendDeadlineMs(1e12)).toBe(60_000)
  })
})

describe('a reader that never reads a large answer', () => {
  let server: Server | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    server?.close()
    if (server) await once(server, 'close')
    server = undefined
  })

  it('is reset at the ceiling, not at the proportional deadline', async () => {
    const limits = { graceMs: 100, minBytesPerSecond: 1024, maxMs: 1_500 }
    const body = Buffer.alloc(16 * MiB, 'x')
    // Proportional alone: 100 ms + 16 MiB at 1 KiB/s, over four hours.
    expect(limits.graceMs + (body.length / limits.minBytesPerSecond) * 1000).toBeGreaterThan(4 * 3600_000)
    const lines: Array<Record<string, unknown>> = []
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(JSON.parse(String(chunk)))
          done()
        },
      }),
    )
    const app = new Koa()
    app.use(sendDeadline(logger, limits))
    app.use((ctx) => {
      ctx.body = body
    })
    server = await listen(app, 0, '127.0.0.1')
    let readyAt: number | undefined
    let closedAt: number | undefined
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      res.once('prefinish', () => {
        readyAt = performance.now()
      })
      req.socket.once('close', () => {
        closedAt = performance.now()
      })
    })
    const reader: Socket = connect(portOf(server), '127.0.0.1', () => {
      reader.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
      reader.pause()
    })
    reader.on('error', () => {})
    await until(() => closedAt !== undefined, 'the server closing the connection')
    reader.destroy()
    const heldMs = (closedAt as number) - (readyAt as number)
    expect(readyAt).toBeDefined()
    expect(heldMs).toBeGreaterThanOrEqual(limits.maxMs - 100)
    expect(heldMs).toBeLessThanOrEqual(limits.maxMs + LATE_MS)
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'answer not read within the send deadline: connection reset',
        deadline_seconds: 1.5,
        bytes: body.length,
      }),
    )
  })
})
