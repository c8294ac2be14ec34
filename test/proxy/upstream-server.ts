import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** One request the fake app received, exactly as it arrived. */
export interface ReceivedRequest {
  method: string
  /** The request target: path and query string as sent on the wire. */
  url: string
  headers: IncomingHttpHeaders
  rawHeaders: string[]
  body: Buffer
  /** Which connection carried it (1, 2, ...), to see keep-alive reuse. */
  connection: number
}

export type AppHandler = (request: ReceivedRequest, res: ServerResponse) => void | Promise<void>

/** Answers like a before-callback app that allows everything. */
export const allowAll: AppHandler = (_request, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' })
  res.end('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}')
}

/**
 * A fake app backend: a real node:http server on an ephemeral loopback port that records every
 * request and answers with the current `handler`.
 */
export async function startUpstream(handler: AppHandler = allowAll) {
  const received: ReceivedRequest[] = []
  const sockets = new Set<Socket>()
  let connections = 0
  const state = { handler }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
        connection: (req.socket as Socket & { id?: number }).id ?? 0,
      }
      received.push(request)
      void Promise.resolve(state.handler(request, res)).catch((error: unknown) => {
        res.destroy(error as Error)
      })
    })
  })
  server.on('connection', (socket: Socket & { id?: number }) => {
    connections += 1
    socket.id = connections
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  // Like an app tuned to sit behind a proxy: it announces a long keep-alive timeout, which the
  // exporter's pool honours, so that connection reuse does not depend on how fast a test runs.
  server.keepAliveTimeout = 60_000
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  let closed = false
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    get connections() {
      return connections
    },
    setHandler(next: AppHandler) {
      state.handler = next
    },
    /** Stops listening and cuts every connection, answered or not. */
    async close() {
      if (closed) return
      closed = true
      const done = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await done
    },
  }
}

export type FakeUpstream = Awaited<ReturnType<typeof startUpstream>>
