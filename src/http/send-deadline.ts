import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Context, Next } from 'koa'
import { createLogThrottle } from '../logging/log-throttle.js'
import type { Logger } from '../logging/logger.js'

/**
 * How long a client gets to take a large answer (`/metrics`, the status page): a grace period plus the
 * time to receive the answer at a slow link's pace. Prometheus asks for gzip (43 KiB at 2,000 tracked
 * APIs): about 5.3 s, beyond its own default scrape timeout of 10 s only from 640 KiB up. An
 * uncompressed 2,000-API exposition (1.2 MiB) gets about 14 s. A normal scrape of the largest
 * exposition takes well under a second.
 */
export const SEND_DEADLINE = {
  graceMs: 5_000,
  minBytesPerSecond: 128 * 1024,
} as const

export function sendDeadlineMs(bytes: number, limits: typeof SEND_DEADLINE = SEND_DEADLINE): number {
  return limits.graceMs + Math.ceil((bytes / limits.minBytesPerSecond) * 1000)
}

function byteLength(body: unknown): number {
  if (Buffer.isBuffer(body)) return body.length
  if (typeof body === 'string') return Buffer.byteLength(body)
  return 0
}

/**
 * Route middleware for answers that can be large. A client that asks and never reads would hold the
 * answer in the exporter (what the kernel does not take) and in the kernel's send buffer (the rest,
 * charged to the container's memory on Kubernetes) for as long as its connection lives; the exporter
 * cannot tell whether an answer handed to the kernel was ever read. So the connection is reset (RST,
 * which frees the kernel's buffers; a FIN would queue behind the unread data) once the deadline has
 * passed since the answer began, unless another such request on it moved the deadline. A client that
 * read its answer loses only an idle keep-alive connection: Prometheus opens a new one at the next
 * scrape, and retries a GET that meets a reset on a reused connection.
 */
export function sendDeadline(logger: Logger, limits: typeof SEND_DEADLINE = SEND_DEADLINE) {
  const deadlines = new WeakMap<Socket, NodeJS.Timeout>()
  const cutLogs = createLogThrottle({ windowMs: 60_000, burst: 5 })

  interface Answer {
    res: ServerResponse
    path: string
    remoteAddress: string
    bytes: number
    deadlineMs: number
  }

  function cut(socket: Socket, answer: Answer): void {
    deadlines.delete(socket)
    if (socket.destroyed) return
    // Still writing: the client has not even let the kernel take the answer. Else it may have read it.
    const unsent = !answer.res.writableFinished
    socket.resetAndDestroy()
    const details = {
      path: answer.path,
      bytes: answer.bytes,
      deadline_seconds: answer.deadlineMs / 1000,
      remote_address: answer.remoteAddress,
    }
    if (!unsent) {
      logger.debug(details, 'connection reset after a large answer: the send deadline has passed')
      return
    }
    const { log, suppressed } = cutLogs.take('unsent', Date.now())
    if (log) {
      logger.warn(
        { ...details, ...(suppressed > 0 && { suppressed_since_last_window: suppressed }) },
        'answer not taken by the client within the send deadline: connection reset',
      )
    }
  }

  return async function boundSend(ctx: Context, next: Next): Promise<void> {
    await next()
    const socket = ctx.req.socket
    const bytes = byteLength(ctx.body)
    const deadlineMs = sendDeadlineMs(bytes, limits)
    const previous = deadlines.get(socket)
    if (previous) clearTimeout(previous)
    else socket.once('close', () => clearTimeout(deadlines.get(socket)))
    // Not the context: it holds the body, which must be freed once the kernel has taken it.
    const answer: Answer = { res: ctx.res, path: ctx.path, remoteAddress: ctx.request.ip, bytes, deadlineMs }
    // Unref'd: a pending deadline never holds the process open on shutdown.
    deadlines.set(socket, setTimeout(cut, deadlineMs, socket, answer).unref())
  }
}
