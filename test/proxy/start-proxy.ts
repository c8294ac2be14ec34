import { Writable } from 'node:stream'
import { Pool } from 'undici'
import { computeSign } from '../../src/auth/signature.js'
import type { Config, UpstreamConfig } from '../../src/config/config.js'
import { createLogger } from '../../src/logging/logger.js'
import { createUpstreamResponder, type UpstreamResponder } from '../../src/proxy/upstream-responder.js'
import { SDKAPPID, TOKEN } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import type { FakeUpstream } from './upstream-server.js'

export interface ProxyOptions {
  upstreamUrl: string
  upstream?: Partial<Omit<UpstreamConfig, 'url'>>
  config?: Partial<Config>
}

export interface TestProxy extends TestExporter {
  responder: UpstreamResponder
  /** Parsed JSON log lines of the responder (the exporter's own are in `logs`). */
  proxyLogs: Array<Record<string, unknown>>
  /** A keep-alive pool to the exporter that sends request targets as given (no URL normalisation). */
  client: Pool
  post(path: string, body: string | Buffer, headers?: Record<string, string>): Promise<ProxyAnswer>
  scrape(): Promise<string>
}

export interface ProxyAnswer {
  status: number
  contentType: string | undefined
  body: Buffer
  text: string
}

/** Starts the real exporter in front-proxy mode in front of `upstreamUrl`, on an ephemeral port. */
export async function startProxy(options: ProxyOptions): Promise<TestProxy> {
  let responder: UpstreamResponder | undefined
  const proxyLogs: Array<Record<string, unknown>> = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) proxyLogs.push(JSON.parse(line))
      done()
    },
  })
  const upstream: UpstreamConfig = {
    url: new URL(options.upstreamUrl),
    timeoutMs: 1800,
    failurePolicy: 'allow',
    forwardAlerts: true,
    ...options.upstream,
  }
  const exporter = await startExporter({
    config: { ...options.config, upstream },
    createResponder: (metrics, observe) => {
      responder = createUpstreamResponder({
        upstream,
        metrics: metrics.upstream,
        logger: createLogger('debug', sink),
        maxAnswerBytes: options.config?.bodyLimitBytes ?? 262_144,
        observe,
      })
      return responder
    },
  })
  const client = new Pool(exporter.url, { connections: 16 })
  const post = async (path: string, body: string | Buffer, headers: Record<string, string> = {}) => {
    const response = await client.request({ method: 'POST', path, body, headers })
    const bytes = Buffer.from(await response.body.arrayBuffer())
    const contentType = response.headers['content-type']
    return {
      status: response.statusCode,
      contentType: Array.isArray(contentType) ? contentType[0] : contentType,
      body: bytes,
      text: bytes.toString('utf8'),
    }
  }
  return {
    ...exporter,
    responder: responder as UpstreamResponder,
    proxyLogs,
    client,
    post,
    scrape: async () => (await fetch(`${exporter.metricsUrl}/metrics`)).text(),
    close: async () => {
      await client.close()
      await exporter.close()
      await responder?.close()
    },
  }
}

/**
 * The exporter in front of the fake app's /im/callback, checking Chat's signature (TOKEN) and SDKAPPID.
 * Timing is not the point here: a busy machine must not turn an answer into a timeout.
 */
export function startSignedProxy(upstream: FakeUpstream): Promise<TestProxy> {
  return startProxy({
    upstreamUrl: `${upstream.url}/im/callback`,
    upstream: { timeoutMs: 10_000 },
    config: { callbackToken: TOKEN, sdkAppIds: new Set([SDKAPPID]) },
  })
}

/** A signed query as Chat sends it, plus `extra` (parameters appended as given). */
export function signedQuery(command: string, extra = ''): string {
  const requestTime = Math.floor(Date.now() / 1000)
  return (
    `SdkAppid=${SDKAPPID}&CallbackCommand=${command}&contenttype=json&ClientIP=203.0.113.9&OptPlatform=iOS` +
    `&Sign=${computeSign(TOKEN, requestTime)}&RequestTime=${requestTime}${extra}`
  )
}
