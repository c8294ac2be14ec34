import { once } from 'node:events'
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http'
import type { AddressInfo } from 'node:net'
import type Koa from 'koa'

/**
 * Timeouts for the listeners. Chat keeps callback connections alive between callbacks, so idle
 * keep-alive connections are held for longer than a typical client's idle timeout (a server that
 * closes first races with the client's next request); slow or stalled clients are cut off early:
 * 10 s for the headers and 30 s for the whole request, counted from the request's first byte (a new
 * connection that sends nothing counts as a request whose headers are late).
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

/** Starts an HTTP (or HTTPS) server for a plain request listener (the REST meter's), with the same timeouts. */
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
