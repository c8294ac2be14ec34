import { once } from 'node:events'
import { Agent, request } from 'node:http'
import { connect } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { OK_ANSWER } from '../../src/protocol/answers.js'
import { alertBody, callbackUrl, SDKAPPID } from '../helpers/callbacks.js'
import {
  type BuiltEntryPoint,
  buildEntryPoint,
  type ExporterProcess,
  spawnExporter,
} from './exporter-process.js'

// SIGTERM and SIGINT on the real entry point: stop accepting, let requests in flight finish, exit 0;
// and a forced, non-zero exit when a request outlives SHUTDOWN_TIMEOUT_SECONDS.

let entry: BuiltEntryPoint
const running: ExporterProcess[] = []
// Tencent keeps callback connections alive; so do these clients, which is what makes shutdown hard.
const agent = new Agent({ keepAlive: true })

beforeAll(async () => {
  entry = await buildEntryPoint()
})

afterEach(async () => {
  await Promise.all(running.splice(0).map((exporter) => exporter.kill()))
})

afterAll(async () => {
  agent.destroy()
  await entry?.remove()
})

async function start(env: Record<string, string> = {}) {
  const exporter = spawnExporter(['node', entry.main], { env: { SDKAPPIDS: SDKAPPID, ...env } })
  running.push(exporter)
  const port = await exporter.listening()
  return { exporter, port, base: `http://127.0.0.1:${port}` }
}

interface Answer {
  status: number
  body: string
}

/**
 * Sends a callback's headers and half its body, and resolves once the server has parsed the headers
 * (it answered `100 Continue`): from then on the request is in flight, not an idle connection.
 */
async function holdCallback(base: string) {
  const body = alertBody()
  const half = Math.floor(body.length / 2)
  const req = request(callbackUrl(base), {
    method: 'POST',
    agent,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      expect: '100-continue',
    },
  })
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('error', reject)
    req.on('response', (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        text += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }))
      response.on('error', reject)
    })
  })
  // Keep a rejection (the forced-exit test) from being reported as unhandled before it is awaited.
  answer.catch(() => {})
  req.flushHeaders()
  await once(req, 'continue')
  req.write(body.slice(0, half))
  return { answer, finish: () => req.end(body.slice(half)) }
}

/**
 * Polls new TCP connections to the port until one is refused; resolves with the last outcome. The
 * exporter logs "shutting down" just before it closes the listener, so the first try may still get in.
 */
async function refusedSoon(port: number, withinMs = 5_000): Promise<string> {
  const deadline = Date.now() + withinMs
  let outcome = await tryConnect(port)
  while (outcome === 'connected' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    outcome = await tryConnect(port)
  }
  return outcome
}

/** Resolves with the error code of a new TCP connection to the port, or 'connected'. */
async function tryConnect(port: number): Promise<string> {
  const socket = connect(port, '127.0.0.1')
  try {
    await once(socket, 'connect')
    return 'connected'
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error)
  } finally {
    socket.destroy()
  }
}

async function getStatus(url: string): Promise<number | string> {
  try {
    return (await fetch(url)).status
  } catch (error) {
    return ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? String(error)
  }
}

const shuttingDown = (line: Record<string, unknown>) => String(line.msg).startsWith('shutting down')

describe('graceful shutdown', { timeout: 40_000 }, () => {
  it('SIGTERM: refuses new connections, finishes the request in flight, exits 0', async () => {
    const { exporter, port, base } = await start()
    // An idle keep-alive connection must not hold the shutdown up.
    const idle = await fetchWithAgent(`${base}/-/healthy`)
    expect(idle.status).toBe(200)
    const held = await holdCallback(base)

    exporter.child.kill('SIGTERM')
    const signalled = Date.now()
    await exporter.waitForLog(shuttingDown)
    expect(await refusedSoon(port)).toBe('ECONNREFUSED')
    // Readiness during shutdown: 503 on a connection that is still open, refused on a new one.
    expect([503, 'ECONNREFUSED']).toContain(await getStatus(`${base}/-/ready`))

    held.finish()
    expect(await held.answer).toEqual({ status: 200, body: OK_ANSWER })
    const exit = await exporter.exited
    expect(exit).toEqual({ code: 0, signal: null })
    // Well within the 10 s grace period (the forced exit, code 1, would come at 10 s): nothing waited
    // for the idle or the finished keep-alive connection.
    expect(Date.now() - signalled).toBeLessThan(8_000)
    expect(exporter.logs().map((line) => line.msg)).toContain('stopped')
  })

  it('SIGTERM with METRICS_PORT: both listeners close, a scrape in flight on keep-alive finishes', async () => {
    const exporter = spawnExporter(['node', entry.main], { env: { SDKAPPIDS: SDKAPPID, METRICS_PORT: '0' } })
    running.push(exporter)
    const started = await exporter.waitForLog((line) => line.msg === 'tencent-chat-exporter listening')
    const ports = [started.port as number, started.metrics_port as number]
    expect(ports[1]).toBeGreaterThan(0)
    // Prometheus keeps its scrape connection alive too: one idle, on the metrics listener.
    expect((await fetchWithAgent(`http://127.0.0.1:${ports[1]}/metrics`)).status).toBe(200)
    const held = await holdCallback(`http://127.0.0.1:${ports[0]}`)

    const signalled = Date.now()
    exporter.child.kill('SIGTERM')
    await exporter.waitForLog(shuttingDown)
    for (const port of ports) expect(await refusedSoon(port)).toBe('ECONNREFUSED')
    held.finish()
    expect((await held.answer).status).toBe(200)
    expect(await exporter.exited).toEqual({ code: 0, signal: null })
    expect(Date.now() - signalled).toBeLessThan(8_000)
  })

  it('SIGINT: exits 0 like SIGTERM', async () => {
    const { exporter } = await start()
    exporter.child.kill('SIGINT')
    const line = await exporter.waitForLog(shuttingDown)
    expect(line.signal).toBe('SIGINT')
    expect(await exporter.exited).toEqual({ code: 0, signal: null })
  })

  it('a second signal during shutdown changes nothing', async () => {
    const { exporter, base } = await start()
    const held = await holdCallback(base)
    exporter.child.kill('SIGTERM')
    await exporter.waitForLog(shuttingDown)
    exporter.child.kill('SIGTERM')
    exporter.child.kill('SIGINT')
    held.finish()
    expect((await held.answer).status).toBe(200)
    expect(await exporter.exited).toEqual({ code: 0, signal: null })
    expect(exporter.logs().filter(shuttingDown)).toHaveLength(1)
  })

  it('forces a non-zero exit after SHUTDOWN_TIMEOUT_SECONDS when a request never finishes', async () => {
    const { exporter, base } = await start({ SHUTDOWN_TIMEOUT_SECONDS: '1' })
    const held = await holdCallback(base)
    // Timed from before the signal: the grace timer starts only once the exporter handles it.
    const signalled = Date.now()
    exporter.child.kill('SIGTERM')
    const exit = await exporter.exited
    const waited = Date.now() - signalled
    expect(exit.signal).toBeNull()
    expect(exit.code).not.toBe(0)
    expect(waited).toBeGreaterThanOrEqual(990)
    // Far below the default 10 s grace period, with room for a loaded CI machine.
    expect(waited).toBeLessThan(8_000)
    expect(exporter.logs().find((line) => line.level === 'error')?.msg).toContain('forced exit')
    // The stalled client's connection was cut, not answered.
    await expect(held.answer).rejects.toThrow()
  })
})

/** GET with the keep-alive agent, leaving the connection open and idle afterwards. */
async function fetchWithAgent(url: string): Promise<Answer> {
  const req = request(url, { agent })
  req.end()
  const [response] = (await once(req, 'response')) as [import('node:http').IncomingMessage]
  let body = ''
  for await (const chunk of response) body += chunk
  return { status: response.statusCode ?? 0, body }
}
