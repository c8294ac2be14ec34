import type { Context, Next } from 'koa'

/**
 * Route middleware that runs the rest of the route for one request at a time, the others waiting in
 * arrival order. For `/metrics`: each render of a 2,000-API exposition builds megabytes, and a render
 * yields between slices so that callbacks are answered meanwhile; 200 scrapes at once would all be in
 * progress together (about 250 MiB more resident memory, each taking seconds), where one after the
 * other they cost one render's memory and each waits only for those ahead of it. Prometheus's scrapers
 * rarely overlap, so normally nothing waits. A request whose client has gone while it waited is not
 * rendered at all (status 499, as nginx logs it).
 */
export function oneAtATime() {
  let tail: Promise<void> = Promise.resolve()
  return async function inTurn(ctx: Context, next: Next): Promise<void> {
    const ahead = tail
    let done!: () => void
    tail = new Promise<void>((resolve) => {
      done = resolve
    })
    try {
      await ahead
      if (ctx.req.destroyed) {
        ctx.status = 499
        return
      }
      await next()
    } finally {
      done()
    }
  }
}
