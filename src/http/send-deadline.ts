import type { Socket } from 'node:net'
import type { Context, Next } from 'koa'
import { createLogThrottle } from '../logging/log-throttle.js'
import type { Logger } from '../logging/logger.js'

/**
 * How long a client gets to take a large answer (`/metrics`, the status page): a grace period plus the
 * time to receive the answer at a slow link's pace, at most `maxMs`. Prometheus asks for gzip (43 KiB
 * at 2,000 tracked APIs): about 5.3 s, more than its own default scrape timeout of 10 s only from
 * 640 KiB up. An uncompressed 2,000-API exposition (1.2 MiB) gets about 14 s. No scraper waits a
 * minute (Prometheus's `scrape_timeout` is at most its interval), so the largest answers (12 MB at
 * 20,000 APIs would get 96 s at the pace) get the cap. A normal scrape of the largest exposition takes
 * well under a second.
 */
export const SEND_DEADLINE = {
  graceMs: 5_000,
  minBytesPerSecond: 128 * 1024,
  maxMs: 60_000,
} as const

export type SendDeadlineLimits = { graceMs: number; minBytesPerSecond: number; maxMs: number }

export function sendDeadlineMs(bytes: number, limits: SendDeadlineLimits = SEND_DEADLINE): number {
  return Math.min(limits.maxMs, limits.graceMs + Math.ceil((bytes / limits.minBytesPerSecond) * 1000))
}

function byteLength(body: unknown): number {
  if (Buffer.isBuffer(body)) return body.length
  if (typeof body === 'string') return Buffer.byteLength(body)
  return 0
}

/**
 * Node ends a `Connection: close` answer with `socket.destroySoon()`: a FIN, then the descriptor is
 * closed as soon as the kernel has taken the answer, and an orphaned socket that nobody reads keeps the
 * answer in the kernel, with no way left to reset it. This socket sends the FIN but keeps its descriptor
 * until the client closes its side (it has read everything) or the deadline resets it.
 */
function endButKeepOpen(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end()
  }
}

/**
 * Route middleware for answers that can be large. A client that asks and never reads holds the answer
 * in the exporter (what the kernel has not taken) and in the kernel's send buffer (the rest, up to
 * megabytes a connection, charged to the container's memory on Kubernetes) for as long as the
 * connection lives, and the exporter cannot see whether an answer in the kernel was read. So the answer
 * closes the connection (`Connection: close`): a client that read it closes its side at once, and one
 * that still has not when the deadline passes is reset (RST, which frees the kernel's buffers). Clients
 * never reuse such a connection, so the reset cannot race with a next request; Prometheus opens a
 * new connection for each scrape.
 */
export function sendDeadline(logger: Logger, limits: SendDeadlineLimits = SEND_DEADLINE) {
  const cutLogs = createLogThrottle({ windowMs: 60_000, burst: 5 })

  return async function boundSend(ctx: Context, next: Next): Promise<void> {
    await next()
    const socket = ctx.req.socket
    const res = ctx.res
    const bytes = byteLength(ctx.body)
    const deadlineMs = sendDeadlineMs(bytes, limits)
    // Not the context in the timer: it holds the body, which must be freed once the kernel has it.
    const path = ctx.path
    const remoteAddress = ctx.request.ip
    ctx.set('Connection', 'close')
    endButKeepOpen(socket)

    const cut = () => {
      if (socket.destroyed) return
      const unsent = !res.writableFinished
      // A reset is refused while a FIN waits for Node's own buffer to drain; then a plain close.
      if (socket.writableEnded && !socket.writableFinished) socket.destroy()
      else socket.resetAndDestroy()
      const { log, suppressed } = cutLogs.take('deadline', Date.now())
      if (!log) return
      logger.warn(
        {
          path,
          bytes,
          deadline_seconds: deadlineMs / 1000,
          // Whether the client had not even let the kernel take all of the answer.
          unsent,
          remote_address: remoteAddress,
          ...(suppressed > 0 && { suppressed_since_last_window: suppressed }),
        },
        'answer not read within the send deadline: connection reset',
      )
    }
    // Unref'd: a pending deadline never holds the process open on shutdown.
    const timer = setTimeout(cut, deadlineMs).unref()
    socket.once('close', () => clearTimeout(timer))
  }
}
