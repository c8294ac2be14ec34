import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVER_TIMEOUTS } from '../../src/server.js'
import { alertBody, callbackUrl, postCallback, SDKAPPID, TOKEN } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { until, watchConnections } from './support/server-side.js'

// Slowloris on raw sockets: connections that send nothing, trickle their headers or trickle their body
// one byte a second. Each must be cut once its timeout has passed (10 s for the head, 30 s for the
// whole request), however many there are and whenever each started, while signed callbacks on other
// connections keep being answered. Judged from the server's own events: when it accepted each
// connection and when it closed it.

const PER_KIND = 100
const KINDS = ['silent', 'headers', 'body'] as const
type Kind = (typeof KINDS)[number]
/** Connections open at staggered times over this span, so that no single sweep could cut them all. */
const STAGGER_MS = 5_000
/** A cut comes from a timer or a 250 ms sweep; only an event loop stalled for seconds could delay it more. */
const LATE_MS = 5_000

interface Slow {
  kind: Kind
  /** The client's port: the server's `remotePort` for this connection. */
  port: number
  answer: () => string
}

let exporter: TestExporter
beforeAll(async () => {
  exporter = await startExporter({
    config: { sdkAppIds: new Set([SDKAPPID]), callbackToken: TOKEN, logLevel: 'info' },
  })
})
afterAll(() => exporter.close())

/** Opens one slow connection; resolves once connected. It trickles until the server closes it. */
function slowConnection(port: number, kind: Kind, target: string): Promise<Slow> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1')
    let answer = ''
    let trickle: NodeJS.Timeout | undefined
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      answer += chunk
    })
    socket.on('error', () => {}) // a reset after the 408 ends the connection as well as a FIN
    socket.once('error', reject)
    socket.on('connect', () => {
      if (kind === 'headers') socket.write(`POST ${target} HTTP/1.1\r\nHost: x\r\n`)
      if (kind === 'body') {
        socket.write(`POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n`)
      }
      // Each byte keeps the connection busy: an inactivity timeout would never fire.
      if (kind !== 'silent') trickle = setInterval(() => socket.write(kind === 'headers' ? 'X' : ' '), 1000)
      resolve({ kind, port: socket.localPort as number, answer: () => answer })
    })
    socket.on('close', () => clearInterval(trickle))
  })
}

describe('slow connections (slowloris)', () => {
  it('are cut once the header and request timeouts have passed, 300 at once, while callbacks are answered', async () => {
    const server = exporter.servers[0]
    if (server === undefined) throw new Error('no callback listener')
    const watch = watchConnections(server)
    const port = Number(new URL(exporter.url).port)
    const signedTarget = () => {
      const url = new URL(callbackUrl(exporter.url, { token: TOKEN }))
      return url.pathname + url.search
    }

    // Signed callbacks on ordinary connections, all along, until every slow connection is cut.
    let done = false
    const answers: Array<{ status: number; at: number }> = []
    const callbacks = (async () => {
      while (!done) {
        const answer = await postCallback(callbackUrl(exporter.url, { token: TOKEN }), alertBody())
        answers.push({ status: answer.status, at: performance.now() })
        await sleep(250)
      }
    })()

    const slow: Slow[] = []
    const total = PER_KIND * KINDS.length
    for (let i = 0; i < total; i += 1) {
      slow.push(await slowConnection(port, KINDS[i % KINDS.length] as Kind, signedTarget()))
      await sleep(STAGGER_MS / total)
    }
    await until(
      () => slow.every((s) => watch.closed.has(s.port)),
      'every slow connection closed by the server',
    )
    done = true
    await callbacks

    for (const kind of KINDS) {
      const limitMs = kind === 'body' ? SERVER_TIMEOUTS.requestTimeoutMs : SERVER_TIMEOUTS.headersTimeoutMs
      const ofKind = slow.filter((s) => s.kind === kind)
      const held = ofKind.map((s) => watch.heldMs(s.port) as number).sort((a, b) => a - b)
      const summary = `${kind}: held ${Math.round(held[0] ?? 0)}–${Math.round(held.at(-1) ?? 0)} ms (limit ${limitMs} ms)`
      expect(ofKind, summary).toHaveLength(PER_KIND)
      // Never before the limit: it counts from the request's first byte, which comes after the accept.
      expect(held[0], summary).toBeGreaterThanOrEqual(limitMs - 100)
      expect(held.at(-1), summary).toBeLessThanOrEqual(limitMs + LATE_MS)
      for (const s of ofKind) expect(s.answer(), summary).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
    }
    // Callbacks went on being answered the whole time, including while many slow ones were open at once
    // (at least the 100 that trickle their body for 30 s; how many more depends on how fast a loaded
    // machine opened them).
    const ports = slow.map((s) => s.port)
    const firstCut = Math.min(...ports.map((port) => watch.closed.get(port) as number))
    expect(answers.every((answer) => answer.status === 200)).toBe(true)
    expect(Math.max(...answers.map((answer) => watch.openAt(ports, answer.at)))).toBeGreaterThanOrEqual(
      PER_KIND / 2,
    )
    expect(answers.filter((answer) => answer.at > firstCut).length).toBeGreaterThan(0)
  }, 90_000)
})
