import { once } from 'node:events'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { ApiSpec } from './options.js'
import { checkUserSig } from './usersig.js'

export interface DemoChatOptions {
  /** PEM certificate and key of its HTTPS listener. */
  cert: string
  key: string
  sdkAppId: string
  /** The app's admin account that the calls' UserSigs are made for. */
  identifier: string
  /** The app's secret key, which signs UserSigs. */
  secretKey: string
  /** Each API's per-second limit; a call past it is answered 60007. Unlisted APIs: 200 a second. */
  apis: ApiSpec[]
  /** A number in [0, 1): Math.random, or a fixed sequence in tests. */
  random?: () => number
}

export interface DemoChat {
  server: Server
  port: number
  /** Answers given, by `<api> <ErrorCode>`. */
  answered: Map<string, number>
  close(): Promise<void>
}

/** Share of the calls answered with Chat's internal error 70500, and share answered slowly. */
export const INTERNAL_ERROR_SHARE = 0.01
export const SLOW_SHARE = 0.02

/**
 * A stand-in for Tencent Chat's REST API for the demo stack, reached through the exporter's REST meter:
 * it answers as Chat does (HTTP 200, `{"ActionStatus","ErrorInfo","ErrorCode"}`), checks each call's
 * UserSig with the app's key, refuses calls past an API's per-second limit with 60007, and answers in
 * 10 to 60 ms, with a slow tail (1.2 to 1.8 s) and a few internal errors, so that every panel of the
 * REST dashboard has something to show.
 */
export async function startDemoChat(
  options: DemoChatOptions,
  port = 0,
  host = '127.0.0.1',
): Promise<DemoChat> {
  const random = options.random ?? Math.random
  const limits = new Map(options.apis.map((api) => [`${api.serviceName}/${api.command}`, api.limit]))
  const answered = new Map<string, number>()
  let second = 0
  let callsThisSecond = new Map<string, number>()

  const verdict = (method: string, api: string, query: URLSearchParams, body: string): number => {
    if (method !== 'POST' || !/^[\w.-]+\/[\w.-]+$/.test(api)) return 60002
    if (query.get('sdkappid') !== options.sdkAppId) return 60012
    if (query.get('identifier') !== options.identifier) return 60010
    const usersig = checkUserSig(query.get('usersig') ?? '', {
      sdkappid: options.sdkAppId,
      identifier: options.identifier,
      key: options.secretKey,
    })
    if (usersig !== 0) return usersig
    try {
      JSON.parse(body)
    } catch {
      return 60003
    }
    const now = Math.floor(Date.now() / 1000)
    if (now !== second) {
      second = now
      callsThisSecond = new Map()
    }
    const calls = (callsThisSecond.get(api) ?? 0) + 1
    callsThisSecond.set(api, calls)
    if (calls > (limits.get(api) ?? 200)) return 60007
    return random() < INTERNAL_ERROR_SHARE ? 70500 : 0
  }

  const server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'https://chat.invalid')
      const api = url.pathname.replace(/^\/v4\//, '')
      const errorCode = verdict(req.method ?? '', api, url.searchParams, body)
      const key = `${api} ${errorCode}`
      answered.set(key, (answered.get(key) ?? 0) + 1)
      const answer = JSON.stringify({
        ActionStatus: errorCode === 0 ? 'OK' : 'FAIL',
        ErrorInfo: errorCode === 0 ? '' : `demo chat: error ${errorCode}`,
        ErrorCode: errorCode,
      })
      const delayMs = random() < SLOW_SHARE ? 1200 + random() * 600 : 10 + random() * 50
      setTimeout(() => {
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(answer)
      }, delayMs)
    })
  })
  server.listen(port, host)
  await once(server, 'listening')
  return {
    server,
    port: (server.address() as AddressInfo).port,
    answered,
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}
