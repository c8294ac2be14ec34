import { once } from 'node:events'
import type { Server } from 'node:http'
import { connect } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { oneAtATime } from '../../src/http/one-at-a-time.js'
import { listen, portOf } from '../../src/server.js'

// The render queue of /metrics on a real server: one request at a time, in arrival order, and a
// request whose client left while it waited is not rendered at all.

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
    const app = new Koa()
    app.use(async (ctx, next) => {
      await next()
      statuses.push([ctx.path, ctx.status])
    })
    app.use(oneAtATime())
    app.use(async (ctx) => {
      running += 1
      expect(running).toBe(1)
      if (ctx.path === '/first') await held
      rendered.push(ctx.path)
      running -= 1
      ctx.body = ctx.path
    })
    server = await listen(app, 0, '127.0.0.1')
    const base = `http://127.0.0.1:${portOf(server)}`

    const first = fetch(`${base}/first`).then((answer) => answer.text())
    await sleep(50)
    // Asks, then leaves while the first holds the queue.
    const leaver = connect(portOf(server), '127.0.0.1', () =>
      leaver.write('GET /gone HTTP/1.1\r\nHost: x\r\n\r\n'),
    )
    await sleep(50)
    leaver.destroy()
    const third = fetch(`${base}/third`).then((answer) => answer.text())
    await sleep(50)
    expect(rendered).toEqual([])
    release()
    expect(await first).toBe('/first')
    expect(await third).toBe('/third')
    expect(rendered).toEqual(['/first', '/third'])
    expect(statuses).toContainEqual(['/gone', 499])
  })
})
