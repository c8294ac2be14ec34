import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import { checkUserSig } from '../../../scripts/simulator/usersig.js'
import { makePki, type Pki } from '../../security/support/pki.js'

/** How the fake Chat treats the next calls. */
export type FakeChatMode =
  | { kind: 'answer' }
  /** Answers after `delayMs`. */
  | { kind: 'slow'; delayMs: number }
  /** Closes the connection without an answer (a reset, as a crashed backend or a middlebox gives). */
  | { kind: 'reset' }
  /** Writes bytes that are not HTTP, then closes. */
  | { kind: 'garbage' }

/** One call the fake Chat received, and what it answered. */
export interface FakeChatCall {
  api: string
  sdkappid: string
  identifier: string
  /** The call's `random` query parameter (its id for the client). */
  random: string
  /** The whole request target, as received. */
  target: string
  /** Unix milliseconds of its arrival. */
  arrivedMs: number
  errorCode: number
  /** The answer's body, as sent. */
  answer: Buffer
  requestBody: Buffer
  requestHeaders: Record<string, string | string[] | undefined>
}

export interface FakeChatOptions {
  sdkappid: string
  identifier: string
  /** The app's secret key, which signs UserSigs. */
  key: string
  /** `<servicename>/<command>` → calls per second Chat allows (60007 past it); 200 when unlisted. */
  limits?: Record<string, number>
  /** Extra fields of a successful answer per API (a history page, a list), after the three standard ones. */
  extra?: (api: string) => Record<string, unknown>
  /**
   * Fields written before the three standard ones in every answer (Chat writes those first; this is the
   * worst case of a scan for them).
   */
  leading?: (api: string) => Record<string, unknown>
  /** Answers gzip-compressed (Content-Encoding: gzip) to calls whose Accept-Encoding allows it. */
  gzip?: boolean
  /** A PKI to reuse; by default one of its own, removed on close. */
  pki?: Pki
}

export interface FakeChat {
  /** `https://127.0.0.1:<port>`: CHAT_REST_URL. */
  url: string
  /** The CA that signed its certificate: CHAT_REST_CA_FILE. */
  caFile: string
  calls: FakeChatCall[]
  /** Requests whose head arrived, complete or not (a body cut off, or never answered, counts too). */
  received(): number
  setMode(mode: FakeChatMode): void
  /** Calls by `<api> <errorCode>`, as the fake answered them. */
  counts(): Map<string, number>
  /**
   * The most calls to each API that arrived within one whole second; with `windowEndSecond`, over the
   * 60 whole seconds that end with it (Unix seconds), as the meter's peak looks back.
   */
  peaks(windowEndSecond?: number): Map<string, number>
  close(): Promise<void>
}

/**
 * A stand-in for Chat's REST endpoint over HTTPS on loopback, answering as Chat does: HTTP 200 with
 * `{"ActionStatus","ErrorInfo","ErrorCode",…}`; 60007 past an API's per-second limit; the UserSig of each
 * call checked with the app's key (70001 expired, 70009 bad signature, …); 60002 for a request it cannot
 * read. It records every call and its answer byte for byte.
 */
export async function startFakeChat(options: FakeChatOptions): Promise<FakeChat> {
  const pki = options.pki ?? makePki()
  const calls: FakeChatCall[] = []
  const perSecond = new Map<string, number>()
  const sockets = new Set<Socket>()
  const timers = new Set<NodeJS.Timeout>()
  let received = 0
  let mode: FakeChatMode = { kind: 'answer' }

  const server: Server = createServer(
    { key: readFileSync(pki.server.key), cert: readFileSync(pki.server.cert), keepAliveTimeout: 5000 },
    (req, res) => {
      const arrivedMs = Date.now()
      received++
      const current = mode
      if (current.kind === 'reset') {
        req.socket.destroy()
        return
      }
      if (current.kind === 'garbage') {
        req.socket.end('this is not HTTP\r\n\r\n')
        return
      }
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        const target = req.url ?? ''
        const url = new URL(target, 'https://chat.invalid')
        const api = url.pathname.replace(/^\/v4\//, '')
        const query = url.searchParams
        const requestBody = Buffer.concat(chunks)
        const errorCode = verdict(req.method ?? '', api, query, requestBody, arrivedMs)
        const json = Buffer.from(
          JSON.stringify({
            ...options.leading?.(api),
            ActionStatus: errorCode === 0 ? 'OK' : 'FAIL',
            ErrorInfo: errorCode === 0 ? '' : `fake chat error ${errorCode}`,
            ErrorCode: errorCode,
            ...(errorCode === 0 ? options.extra?.(api) : {}),
          }),
        )
        const gzip = options.gzip === true && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
        const body = gzip ? gzipSync(json) : json
        calls.push({
          api,
          sdkappid: query.get('sdkappid') ?? '',
          identifier: query.get('identifier') ?? '',
          random: query.get('random') ?? '',
          target,
          arrivedMs,
          errorCode,
          answer: body,
          requestBody,
          requestHeaders: req.headers,
        })
        const send = () => {
          res.writeHead(200, {
            'Content-Type': 'application/json',
            'Content-Length': body.length,
            ...(gzip && { 'Content-Encoding': 'gzip' }),
          })
          res.end(body)
        }
        if (current.kind === 'slow') {
          const timer = setTimeout(() => {
            timers.delete(timer)
            send()
          }, current.delayMs)
          timers.add(timer)
        } else send()
      })
    },
  )
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  function verdict(
    method: string,
    api: string,
    query: URLSearchParams,
    body: Buffer,
    arrivedMs: number,
  ): number {
    if (method !== 'POST' || !/^[\w.-]+\/[\w.-]+$/.test(api)) return 60002
    const sdkappid = query.get('sdkappid')
    if (sdkappid === null) return 60012
    const identifier = query.get('identifier') ?? ''
    if (identifier !== options.identifier) return 60010
    const usersigCode = checkUserSig(query.get('usersig') ?? '', {
      sdkappid: options.sdkappid,
      identifier,
      key: options.key,
    })
    if (sdkappid !== options.sdkappid && usersigCode === 0) return 70014
    if (usersigCode !== 0) return usersigCode
    try {
      JSON.parse(body.toString('utf8'))
    } catch {
      return 60003
    }
    const second = Math.floor(arrivedMs / 1000)
    const key = `${api} ${second}`
    const count = (perSecond.get(key) ?? 0) + 1
    perSecond.set(key, count)
    return count > (options.limits?.[api] ?? 200) ? 60007 : 0
  }

  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const port = (server.address() as AddressInfo).port
  return {
    url: `https://127.0.0.1:${port}`,
    caFile: pki.ca.cert,
    calls,
    received: () => received,
    setMode(next) {
      mode = next
    },
    counts() {
      const counts = new Map<string, number>()
      for (const call of calls) {
        const key = `${call.api} ${call.errorCode}`
        counts.set(key, (counts.get(key) ?? 0) + 1)
      }
      return counts
    },
    peaks(windowEndSecond) {
      const bySecond = new Map<string, number>()
      for (const call of calls) {
        const second = Math.floor(call.arrivedMs / 1000)
        if (windowEndSecond !== undefined && (second > windowEndSecond || second <= windowEndSecond - 60)) {
          continue
        }
        const key = `${call.api} ${second}`
        bySecond.set(key, (bySecond.get(key) ?? 0) + 1)
      }
      const peaks = new Map<string, number>()
      for (const [key, count] of bySecond) {
        const api = key.split(' ')[0] as string
        peaks.set(api, Math.max(peaks.get(api) ?? 0, count))
      }
      return peaks
    },
    async close() {
      server.close()
      for (const timer of timers) clearTimeout(timer)
      for (const socket of sockets) socket.destroy()
      if (options.pki === undefined) pki.remove()
    },
  }
}
