import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { findObject, type KubeObject } from './kustomize.js'

/** A Secret key reference, as monitors write them. */
interface KeyRef {
  name: string
  key: string
}

/** What a PodMonitor's or ServiceMonitor's endpoint says about how to scrape. */
export interface ScrapeEndpoint {
  path: string
  scheme?: string
  tlsConfig?: { ca?: { secret?: KeyRef }; serverName?: string; insecureSkipVerify?: boolean }
  basicAuth?: { username: KeyRef; password: KeyRef }
}

export interface Answer {
  status: number
  contentType: string | undefined
  body: string
}

/** The value of a Secret's key among the objects, as Prometheus (or the kubelet) would read it. */
export function secretValue(objects: KubeObject[], ref: KeyRef): string {
  const data = findObject(objects, 'Secret', ref.name).data?.[ref.key]
  if (data === undefined) throw new Error(`Secret ${ref.name} has no key ${ref.key}`)
  return Buffer.from(data, 'base64').toString('utf8')
}

/**
 * GETs the endpoint on a loopback port the way Prometheus would scrape it from the monitor: the scheme,
 * the CA and server name of `tlsConfig` (the certificate is checked), basic auth from the Secrets.
 */
export function scrape(objects: KubeObject[], endpoint: ScrapeEndpoint, port: number): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (endpoint.basicAuth) {
    const user = secretValue(objects, endpoint.basicAuth.username)
    const password = secretValue(objects, endpoint.basicAuth.password)
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
  }
  if (endpoint.scheme !== 'https') return get('http', port, endpoint.path, headers, {})
  const tls = endpoint.tlsConfig ?? {}
  return get('https', port, endpoint.path, headers, {
    ca: tls.ca?.secret ? secretValue(objects, tls.ca.secret) : undefined,
    servername: tls.serverName,
    rejectUnauthorized: tls.insecureSkipVerify !== true,
  })
}

/** GETs a probe as the kubelet does: HTTP, or HTTPS without checking the certificate, no credentials. */
export function probe(httpGet: { path: string; scheme?: string }, port: number): Promise<Answer> {
  const https = httpGet.scheme === 'HTTPS'
  return get(https ? 'https' : 'http', port, httpGet.path, {}, { rejectUnauthorized: false })
}

function get(
  scheme: 'http' | 'https',
  port: number,
  path: string,
  headers: Record<string, string>,
  tls: { ca?: string; servername?: string; rejectUnauthorized?: boolean },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, headers, agent: false as const, timeout: 10_000 }
    const request =
      scheme === 'https' ? httpsRequest({ ...options, ...tls }, answer) : httpRequest(options, answer)
    function answer(response: import('node:http').IncomingMessage) {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body }),
      )
      response.on('error', reject)
    }
    request.on('timeout', () =>
      request.destroy(new Error(`GET ${scheme}://127.0.0.1:${port}${path} timed out`)),
    )
    request.on('error', reject)
    request.end()
  })
}
