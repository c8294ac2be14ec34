import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { connect as connectTcp, type Socket } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { connect as connectTls } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cutConnectionsWithoutHead, SERVER_TIMEOUTS } from '../../src/server.js'
import { readWebConfigFile } from '../../src/web-config/web-config-file.js'
import { alertBody, callbackUrl, postCallback, SDKAPPID, TOKEN } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { pem } from '../security/support/certificates.js'
import { makePki, type Pki } from '../security/support/pki.js'
import { type ConnectionWatch, until, watchConnections } from './support/server-side.js'

// Connections that never complete a request head: nothing at all, half a request line, or part of a
// head, then silence. Each must be cut once the headers timeout has passed since it was accepted, on
// every listener (callbacks, metrics, TLS), 500 at once, while signed callbacks keep being answered;
// a keep-alive connection idle between requests stays open. Judged from the server's own events.

const SHAPES = {
  nothing: '',
  'half a request line': 'POST /cal',
  'a partial head': 'POST /callback HTTP/1.1\r\nHost: x\r\n',
} as const
type Shape = keyof typeof SHAPES
const SHAPE_NAMES = Object.keys(SHAPES) as Shape[]

const HEADERS_MS = SERVER_TIMEOUTS.headersTimeoutMs
/** A cut comes when the server's timer fires; only an event loop stalled for seconds could delay it more. */
const LATE_MS = 5_000

interface Slow {
  shape: Shape
  /** The client's port: the server's `remotePort` for this connection. */
  port: number
  /** Everything the server sent, complete once the connection closed. */
  answer: () => string
}

/** Opens a connection, sends `shape`'s bytes and nothing more; resolves once connected. */
function openSlow(port: number, shape: Shape, tlsCa?: string): Promise<Slow> {
  return new Promise((resolve, reject) => {
    let answer = ''
    const ready = () => {
      if (SHAPES[shape] !== '') socket.write(SHAPES[shape])
      resolve({ shape, port: socket.localPort as number, answer: () => answer })
    }
    const socket: Socket = tlsCa
      ? connectTls({ host: '127.0.0.1', port, ca: tlsCa }, ready)
      : connectTcp(port, '127.0.0.1', ready)
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      answer += chunk
    })
    socket.on('error', (error) => reject(error))
  })
}

function expectCut(watch: ConnectionWatch, slow: Slow[]): void {
  for (const shape of SHAPE_NAMES) {
    const ofShape = slow.filter((s) => s.shape === shape)
    const held = ofShape.map((s) => watch.heldMs(s.port) as number).sort((a, b) => a - b)
    const summary = `${shape}: ${ofShape.length} held ${Math.round(held[0] ?? 0)}–${Math.round(held.at(-1) ?? 0)} ms`
    expect(
      held.every((ms) => ms !== undefined),
      summary,
    ).toBe(true)
    // Never before the timeout (a little slack for the events' order within one tick).
    expect(held[0], summary).toBeGreaterThanOrEqual(HEADERS_MS - 100)
    expect(held.at(-1), summary).toBeLessThanOrEqual(HEADERS_MS + LATE_MS)
    for (const s of ofShape) expect(s.answer(), summary).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
  }
}

let pki: Pki
let plain: TestExporter
let tls: TestExporter
beforeAll(async () => {
  pki = makePki()
  plain = await startExporter({
    config: { sdkAppIds: new Set([SDKAPPID]), callbackToken: TOKEN, metricsPort: 0, logLevel: 'info' },
  })
  const path = join(pki.dir, 'web.yml')
  writeFileSync(path, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n')
  tls = await startExporter({ config: { webConfig: readWebConfigFile(path), logLevel: 'info' } })
})
afterAll(async () => {
  await plain?.close()
  await tls?.close()
  pki?.remove()
})

describe('connections that never complete a request head', () => {
  it('are cut after the headers timeout on every listener, 500 at once, while callbacks are answered', async () => {
    const [callbackServer, metricsServer] = plain.servers as [
      (typeof plain.servers)[0],
      (typeof plain.servers)[0],
    ]
    const [tlsServer] = tls.servers as [(typeof tls.servers)[0]]
    const watches = {
      callbacks: watchConnections(callbackServer),
      metrics: watchConnections(metricsServer),
      tls: watchConnections(tlsServer),
    }
    const portOf = (url: string) => Number(new URL(url).port)

    // A keep-alive connection that completed a callback and then stays idle: it must outlive them all.
    const signedPath = () => {
      const url = new URL(callbackUrl(plain.url, { token: TOKEN }))
      return url.pathname + url.search
    }
    const idleClient = connectTcp(portOf(plain.url), '127.0.0.1')
    await new Promise<void>((resolve) => idleClient.once('connect', () => resolve()))
    let idleAnswer = ''
    idleClient.setEncoding('latin1')
    idleClient.on('data', (chunk: string) => {
      idleAnswer += chunk
    })
    const body = alertBody()
    idleClient.write(
      `POST ${signedPath()} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
    await until(() => idleAnswer.includes('"ActionStatus":"OK"'), 'the keep-alive callback answered')
    const idlePort = idleClient.localPort as number

    // Signed callbacks on ordinary connections until every slow connection is cut.
    let done = false
    const answers: Array<{ status: number; at: number }> = []
    const callbacks = (async () => {
      while (!done) {
        const answer = await postCallback(callbackUrl(plain.url, { token: TOKEN }), alertBody())
        answers.push({ status: answer.status, at: performance.now() })
        await sleep(100)
      }
    })()

    const slow = {
      callbacks: await Promise.all(
        Array.from({ length: 500 }, (_, i) => openSlow(portOf(plain.url), SHAPE_NAMES[i % 3] as Shape)),
      ),
      metrics: await Promise.all(
        Array.from({ length: 30 }, (_, i) => openSlow(portOf(plain.metricsUrl), SHAPE_NAMES[i % 3] as Shape)),
      ),
      tls: await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          openSlow(portOf(tls.url), SHAPE_NAMES[i % 3] as Shape, pem(pki.ca.cert)),
        ),
      ),
    }
    const all = () =>
      (Object.keys(slow) as Array<keyof typeof slow>).every((listener) =>
        slow[listener].every((s) => watches[listener].closed.has(s.port)),
      )
    await until(all, 'every slow connection closed by the server')
    done = true
    await callbacks

    for (const listener of Object.keys(slow) as Array<keyof typeof slow>) {
      expectCut(watches[listener], slow[listener])
    }
    // Callbacks were answered all along, including while most of the 500 were open on their listener.
    const ports = slow.callbacks.map((s) => s.port)
    expect(answers.every((answer) => answer.status === 200)).toBe(true)
    const mostOpen = Math.max(...answers.map((answer) => watches.callbacks.openAt(ports, answer.at)))
    expect(mostOpen).toBeGreaterThanOrEqual(250)
    // The idle keep-alive connection had been idle longer than the headers timeout, and is still open.
    expect(watches.callbacks.closed.has(idlePort)).toBe(false)
    expect(idleClient.destroyed).toBe(false)
    idleClient.destroy()
  }, 120_000)
})

describe('cutConnectionsWithoutHead on its own', () => {
  // Node's own headers and request timeouts off, as on a Node that does not track a connection before
  // its first byte: only the cut stands between a silent connection and for ever.
  const TIMEOUT_MS = 1_000
  const servers: Server[] = []
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections()
      server.close()
    }
  })
  const start = async (guarded: boolean) => {
    const server = createServer({ headersTimeout: 0, requestTimeout: 0 }, (_req, res) => res.end('ok'))
    if (guarded) cutConnectionsWithoutHead(server, TIMEOUT_MS)
    servers.push(server)
    const watch = watchConnections(server)
    server.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    return { port: (server.address() as { port: number }).port, watch }
  }

  it('cuts the three shapes after its timeout, where they would stay open, and spares idle keep-alive', async () => {
    const guarded = await start(true)
    const unguarded = await start(false)
    // Keep-alive connections that completed a request, then idle: the cut is for a first head only.
    const idle = await Promise.all(
      [guarded, unguarded].map(async ({ port }) => {
        const socket = connectTcp(port, '127.0.0.1')
        let answer = ''
        socket.setEncoding('latin1')
        socket.on('data', (chunk: string) => {
          answer += chunk
        })
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        await until(() => answer.endsWith('ok'), 'the keep-alive request answered')
        return socket
      }),
    )
    const open = (server: typeof guarded) =>
      Promise.all(Array.from({ length: 30 }, (_, i) => openSlow(server.port, SHAPE_NAMES[i % 3] as Shape)))
    const cut = await open(guarded)
    const kept = await open(unguarded)
    await until(() => cut.every((s) => guarded.watch.closed.has(s.port)), 'the guarded connections cut')
    for (const s of cut) {
      const held = guarded.watch.heldMs(s.port) as number
      expect(held).toBeGreaterThanOrEqual(TIMEOUT_MS - 100)
      expect(held).toBeLessThanOrEqual(TIMEOUT_MS + LATE_MS)
      expect(s.answer()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/)
    }
    // The same shapes, opened after those, without the cut: all still open.
    expect(kept.filter((s) => unguarded.watch.closed.has(s.port))).toEqual([])
    expect(idle.map((socket) => socket.destroyed)).toEqual([false, false])
    expect(guarded.watch.closed.has(idle[0]?.localPort as number)).toBe(false)
    for (const socket of idle) socket.destroy()
  }, 60_000)
})
