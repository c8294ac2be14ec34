import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVER_TIMEOUTS } from '../../src/server.js'
import { alertBody, callbackUrl, postCallback, SDKAPPID, TOKEN } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

// Slowloris on raw sockets: connections that send nothing, trickle their headers or trickle their body
// one byte a second. Each must be cut within a second of the documented timeout (10 s for the headers,
// 30 s for the whole request, from its first byte), however many there are and whenever each started,
// while signed callbacks on other connections keep being answered.

const PER_KIND = 100
const KINDS = ['silent', 'headers', 'body'] as const
type Kind = (typeof KINDS)[number]
/** Connections open at staggered times over this span, so that no single sweep could cut them all. */
const STAGGER_MS = 5_000
/** "Within a second": Node sweeps its connections every 250 ms; the rest is slack for a loaded machine. */
const LATE_MS = 1_000

interface Cut {
  kind: Kind
  /** From the first byte sent to the connection's end, in ms. */
  afterMs: number
  answer: string
}

let exporter: TestExporter
beforeAll(async () => {
  exporter = await startExporter({ config: { sdkAppIds: new Set([SDKAPPID]), callbackToken: TOKEN } })
})
afterAll(() => exporter.close())

/** Opens one slow connection and resolves when the server ends it. */
function slowConnection(port: number, kind: Kind, target: string): Promise<Cut> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1')
    let answer = ''
    let started = 0
    let trickle: NodeJS.Timeout | undefined
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      answer += chunk
    })
    socket.on('error', () => {}) // a reset after the 408 ends the connection as well as a FIN
    socket.on('connect', () => {
      started = performance.now()
      if (kind === 'headers') socket.write(`POST ${target} HTTP/1.1\r\nHost: x\r\n`)
      if (kind === 'body') {
        socket.write(`POST ${target} HTTP/1.1\r\nHost: x\r\nContent-Length: 4000\r\n\r\n`)
      }
      // Each byte keeps the connection busy: an inactivity timeout would never fire.
      if (kind !== 'silent') trickle = setInterval(() => socket.write(kind === 'headers' ? 'X' : ' '), 1000)
    })
    socket.on('close', () => {
      clearInterval(trickle)
      if (started === 0) return reject(new Error(`${kind} connection failed`))
      resolve({ kind, afterMs: performance.now() - started, answer })
    })
  })
}

describe('slow connections (slowloris)', () => {
  it('are cut within a second of the header and request timeouts, 300 at once, while callbacks are answered', async () => {
    const port = Number(new URL(exporter.url).port)
    const signedTarget = () => {
      const url = new URL(callbackUrl(exporter.url, { token: TOKEN }))
      return url.pathname + url.search
    }
    const cuts: Array<Promise<Cut>> = []
    const total = PER_KIND * KINDS.length
    const opening = (async () => {
      for (let i = 0; i < total; i += 1) {
        cuts.push(slowConnection(port, KINDS[i % KINDS.length] as Kind, signedTarget()))
        await sleep(STAGGER_MS / total)
      }
    })()

    // Signed callbacks on ordinary connections, all along, until every slow connection is cut.
    let done = false
    const answers: number[] = []
    const callbacks = (async () => {
      while (!done) {
        const answer = await postCallback(callbackUrl(exporter.url, { token: TOKEN }), alertBody())
        answers.push(answer.status)
        await sleep(250)
      }
    })()

    await opening
    const results = await Promise.all(cuts)
    done = true
    await callbacks

    for (const kind of KINDS) {
      const limitMs = kind === 'body' ? SERVER_TIMEOUTS.requestTimeoutMs : SERVER_TIMEOUTS.headersTimeoutMs
      const ofKind = results.filter((cut) => cut.kind === kind)
      const delays = ofKind.map((cut) => Math.round(cut.afterMs)).sort((a, b) => a - b)
      const summary = `${kind}: cut after ${delays[0]}–${delays.at(-1)} ms (limit ${limitMs} ms)`
      expect(ofKind, summary).toHaveLength(PER_KIND)
      // Not early: the test's clock starts when its event loop sees the connection, which on a loaded
      // machine can be well after the exporter started counting.
      expect(delays[0], summary).toBeGreaterThanOrEqual(limitMs - 500)
      expect(delays.at(-1), summary).toBeLessThanOrEqual(limitMs + LATE_MS)
      for (const cut of ofKind) expect(cut.answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
    }
    // Callbacks went on being answered the whole time (about 30 s of them).
    expect(answers.length).toBeGreaterThan(60)
    expect(answers.every((status) => status === 200)).toBe(true)
  }, 60_000)
})
