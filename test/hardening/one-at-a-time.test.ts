import { once } from 'node:events'
import type { IncomingMessage, Server } from 'node:http'
import { connect } from 'node:net'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { oneAtATime } from '../../src/http/one-at-a-time.js'
import { listen, portOf } from '../../src/server.js'
import { until } from './support/server-side.js'

// The render queue of /metrics on a real server: one request at a time, in arrival order, and a
// request whose client left while it waited is not rendered at all. Each step waits for the queue's
// own state or the server's events, never for a time.

let server: Server | undefined
afterEach(async () => {
  server?.close()
  if (server) await once(server, 'close')
  server = undefined
})

describe('oneAtATime', () => {
  it('runs requests one after another, and skips those whose client has gone (499)', async () => {
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const rendered: string[] = []
    const statuses: Array<[string, number]> = []
    let running = 0
    let mostAtOnce = 0
    const queue = oneAtATime()
    const app = new Koa()
    app.use(async (ctx, next) => {
      await next()
      statuses.push([ctx.path, ctx.status])
    })
    app.use(queue)
    app.use(async (ctx) => {
      running += 1
      mostAtOnce = Math.max(mostAtOnce, running)
      if (ctx.path === '/first') await held
      rendered.push(ctx.path)
      running -= 1
      ctx.body = ctx.path
    })
    server = await listen(app, 0, '127.0.0.1')
    const requests = new Map<string, IncomingMessage>()
    server.on('request', (req: IncomingMessage) => requests.set(req.url ?? '', req))
    const base = `http://127.0.0.1:${portOf(server)}`

    const first = fetch(`${base}/first`).then((answer) => answer.text())
    await until(() => queue.busy && running === 1, '/first having its turn')
    // Asks, then leaves while the first holds the queue.
    const leaver = connect(portOf(server), '127.0.0.1', () =>
      leaver.write('GET /gone HTTP/1.1\r\nHost: x\r\n\r\n'),
    )
    leaver.on('error', () => {})
    await until(() => queue.waiting === 1, '/gone waiting')
    leaver.destroy()
    await until(() => requests.get('/gone')?.destroyed === true, "the server seeing /gone's client leave")
    const third = fetch(`${base}/third`).then((answer) => answer.text())
    await until(() => queue.waiting === 2, '/third waiting behind /gone')
    expect(rendered).toEqual([])
    release()
    expect(await first).toBe('/first')
    expect(await third).toBe('/third')
    expect(rendered).toEqual(['/first', '/third'])
    expect(mostAtOnce).toBe(1)
    expect(statuses).toContainEqual(['/gone', 499])
    expect(queue.waiting).toBe(0)
    expect(queue.busy).toBe(false)
  })

  it('with restRatio, starts the next turn only after a rest as long as the last turn took', async () => {
    const queue = oneAtATime({ restRatio: 1 })
    const turns: Array<{ start: number; end: number }> = []
    const app = new Koa()
    app.use(queue)
    app.use(async (ctx) => {
      const start = performance.now()
      // A turn of at least 30 ms of the server's time.
      await new Promise((resolve) => setTimeout(resolve, 30))
      turns.push({ start, end: performance.now() })
      ctx.body = 'ok'
    })
    server = await listen(app, 0, '127.0.0.1')
    const base = `http://127.0.0.1:${portOf(server)}`
    const answers = await Promise.all(Array.from({ length: 4 }, () => fetch(base).then((a) => a.text())))
    expect(answers).toEqual(['ok', 'ok', 'ok', 'ok'])
    turns.sort((a, b) => a.start - b.start)
    for (let i = 1; i < turns.length; i += 1) {
      const last = turns[i - 1] as { start: number; end: number }
      const next = turns[i] as { start: number; end: number }
      // Timers never fire early: the rest is at least the last turn's length (1 ms of rounding).
      expect(next.start - last.end).toBeGreaterThanOrEqual(last.end - last.start - 1)
    }
  })
})
