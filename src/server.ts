import { once } from 'node:events'
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { Server as TlsServer } from 'node:tls'
import type Koa from 'koa'

/**
 * Timeouts for the listeners. Chat keeps callback connections alive between callbacks, so idle
 * keep-alive connections are held for longer than a typical client's idle timeout (a server that
 * closes first races with the client's next request); slow or stalled clients are cut off early:
 * 10 s for the headers and 30 s for the whole request, counted from the request's first byte, and a
 * new connection must have sent a whole request head within 10 s of being accepted (of its TLS
 * handshake, on a TLS listener), whether or not bytes arrive meanwhile.
 */
export const SERVER_TIMEOUTS = {
  keepAliveTimeoutMs: 65_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  /**
   * Node enforces the headers and request timeouts by sweeping its connections every this often
   * (30 s by default, which cut slowloris connections anywhere from 10 s to 40 s late, all at once).
   * A sweep walks only the connections with a request in progress, in C++: cheap at 4 per second.
   */
  connectionsCheckingIntervalMs: 250,
} as const

/** What Node answers a request whose headers are late, sent the same way for a silent connection. */
const REQUEST_TIMEOUT_ANSWER = 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n'

/**
 * Cuts every new connection of `server` whose first request head is not complete `timeoutMs` after
 * the connection was accepted (after the handshake, on a TLS server: the handshake has its own
 * timeout), whether it sent nothing, half a request line or part of a head, trickled or not. Node's
 * own `headersTimeout` counts only for a connection its parser is tracking, which not every Node
 * version does from the first moment of a connection; this does not depend on it. Keep-alive
 * connections idle between requests are left to `keepAliveTimeout`. Costs one timer per connection
 * and a map lookup per request. `listen` applies it to every server it makes.
 */
export function cutConnectionsWithoutHead(server: Server, timeoutMs: number): void {
  const waiting = new WeakMap<Socket, NodeJS.Timeout>()
  const accepted = (socket: Socket) => {
    const timer = setTimeout(() => {
      waiting.delete(socket)
      if (socket.destroyed) return
      if (socket.writable && socket.bytesWritten === 0) socket.write(REQUEST_TIMEOUT_ANSWER)
      socket.destroy()
    }, timeoutMs).unref()
    waiting.set(socket, timer)
    socket.once('close', () => {
      clearTimeout(timer)
      waiting.delete(socket)
    })
  }
  server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', accepted)
  server.on('request', (req: { socket: Socket }) => {
    const timer = waiting.get(req.socket)
    if (timer === undefined) return
    clearTimeout(timer)
    waiting.delete(req.socket)
  })
}

/** Makes the server for a listener; WEB_CONFIG_FILE's TLS brings an HTTPS one (src/web-config). */
export type ServerFactory = (options: ServerOptions, handler: RequestListener) => Server

/** Starts an HTTP (or, given a TLS server factory, HTTPS) server for the app; resolves once it listens. */
export function listen(
  app: Koa,
  port: number,
  host: string,
  createTlsServer?: ServerFactory,
): Promise<Server> {
  return listenWith(app.callback(), port, host, createTlsServer)
}

/**
 * Starts an HTTP (or HTTPS) server for a plain request listener (the REST meter's), with the same
 * timeouts and the same cut of connections without a request head.
 */
export async function listenWith(
  handler: RequestListener,
  port: number,
  host: string,
  createTlsServer?: ServerFactory,
): Promise<Server> {
  const options = { connectionsCheckingInterval: SERVER_TIMEOUTS.connectionsCheckingIntervalMs }
  const server = (createTlsServer ?? createServer)(options, handler)
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeoutMs
  server.headersTimeout = SERVER_TIMEOUTS.headersTimeoutMs
  server.requestTimeout = SERVER_TIMEOUTS.requestTimeoutMs
  cutConnectionsWithoutHead(server, SERVER_TIMEOUTS.headersTimeoutMs)
  server.listen(port, host)
  await once(server, 'listening')
  return server
}

export function portOf(server: Server): number {
  return (server.address() as AddressInfo).port
}

/**
 * Stops accepting connections, closes idle keep-alive connections, and waits for requests in flight
 * to finish. Resolves `true` when all finished within `graceMs`, else cuts the rest and resolves `false`.
 */
export async function closeGracefully(servers: Server[], graceMs: number): Promise<boolean> {
  // close() only closes the keep-alive connections idle at that moment; one whose request is in flight
  // would stay open after its answer until keepAliveTimeout. Close those as they fall idle. Polling
  // during shutdown keeps this off the request path.
  const closeIdle = setInterval(() => {
    for (const server of servers) server.closeIdleConnections()
  }, 20)
  const closed = Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeIdleConnections()
        }),
    ),
  ).then(() => true)
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs)
    timer.unref()
  })
  const finished = await Promise.race([closed, timedOut])
  clearTimeout(timer)
  clearInterval(closeIdle)
  if (!finished) for (const server of servers) server.closeAllConnections()
  return finished
}
