import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Server as TlsServer } from 'node:tls'

/**
 * The server's own view of its connections, keyed by the client's port: when each was accepted (for a
 * TLS listener, when its handshake completed) and when the server's socket closed, on the server's
 * clock. Tests judge timeouts from these events, not from a client's clock: on a loaded machine a
 * client sees a close late, or its connection accepted long after it asked.
 */
export function watchConnections(server: Server) {
  const accepted = new Map<number, number>()
  const closed = new Map<number, number>()
  server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', (socket: Socket) => {
    const port = socket.remotePort as number
    accepted.set(port, performance.now())
    socket.once('close', () => closed.set(port, performance.now()))
  })
  return {
    accepted,
    closed,
    /** How many of these client ports had a connection open on the server at `at`. */
    openAt(ports: readonly number[], at: number): number {
      return ports.filter((port) => {
        const from = accepted.get(port)
        const to = closed.get(port)
        return from !== undefined && from <= at && (to === undefined || at < to)
      }).length
    },
    /** How long the server held the connection from this client port, once it closed it. */
    heldMs(port: number): number | undefined {
      const from = accepted.get(port)
      const to = closed.get(port)
      return from === undefined || to === undefined ? undefined : to - from
    },
  }
}

export type ConnectionWatch = ReturnType<typeof watchConnections>

/**
 * Waits until `condition` holds, looking every 20 ms; fails after `limitMs` (a bound on a broken
 * server, far beyond what any correct run needs, so that load never makes it fail).
 */
export async function until(condition: () => boolean, what: string, limitMs = 120_000): Promise<void> {
  const started = performance.now()
  while (!condition()) {
    if (performance.now() - started > limitMs) throw new Error(`still waiting after ${limitMs} ms: ${what}`)
    await sleep(20)
  }
}
