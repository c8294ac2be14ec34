import { setTimeout as sleep } from 'node:timers/promises'
import type { Context, Middleware, Next } from 'koa'

/** The middleware, and what it is doing now (for the status page's queue and for tests). */
export type TurnTaking = Middleware & {
  /** Requests waiting for their turn. */
  readonly waiting: number
  /** Whether a request is having its turn. */
  readonly busy: boolean
}

/**
 * Route middleware that runs the rest of the route for one request at a time, the others waiting in
 * arrival order. For `/metrics`: each render of a 2,000-API exposition builds megabytes, and a render
 * yields between slices so that callbacks are answered meanwhile; 200 scrapes at once would all be in
 * progress together (about 250 MiB more resident memory, each taking seconds), where one after the
 * other they cost one render's memory and each waits only for those ahead of it. Prometheus's scrapers
 * rarely overlap, so normally nothing waits. A request whose client has gone while it waited is not
 * rendered at all (status 499, as nginx logs it). With `restRatio`, the next request's turn comes only
 * after a pause of that many times the last turn's length: for pages that many readers may ask for at
 * once (the status page), so that they can take at most a share of the time callbacks need.
 */
export function oneAtATime(options: { restRatio?: number } = {}): TurnTaking {
  const restRatio = options.restRatio ?? 0
  let tail: Promise<void> = Promise.resolve()
  let waiting = 0
  let busy = false
  const inTurn = async function inTurn(ctx: Context, next: Next): Promise<void> {
    const ahead = tail
    let done!: () => void
    tail = new Promise<void>((resolve) => {
      done = resolve
    })
    waiting += 1
    // `ahead` only ever resolves: it is the previous request's `done`.
    await ahead
    waiting -= 1
    busy = true
    const startedMs = performance.now()
    try {
      if (ctx.req.destroyed) {
        ctx.status = 499
        return
      }
      await next()
    } finally {
      busy = false
      // The next turn waits as long again (times restRatio): the turns take at most 1 / (1 + restRatio)
      // of the event loop's time, whatever the number waiting. This request's answer is not delayed.
      const restMs = restRatio * (performance.now() - startedMs)
      if (restMs >= 1) void sleep(restMs).then(done)
      else done()
    }
  }
  return Object.defineProperties(inTurn, {
    waiting: { get: () => waiting },
    busy: { get: () => busy },
  }) as TurnTaking
}
