import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { promisify } from 'node:util'

export interface TlsRequestOptions {
  /** CA file that signed the server certificate. */
  ca: string
  /** Client certificate and key files. */
  cert?: string
  key?: string
  /** `user:password` for basic auth. */
  auth?: string
  method?: string
  body?: string
}

export interface TlsAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  /** SHA-256 fingerprint of the certificate the server presented. */
  serverFingerprint: string
}

/**
 * One request on a new TLS connection with Node's own client (no agent: a connection each, so that a
 * rotated certificate shows on the next request). Rejects when the server refuses the connection.
 */
export function tlsRequest(url: string, options: TlsRequestOptions): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        agent: false,
        ca: readFileSync(options.ca),
        ...(options.cert && { cert: readFileSync(options.cert) }),
        ...(options.key && { key: readFileSync(options.key) }),
        ...(options.auth && { auth: options.auth }),
        timeout: 10_000,
      },
      (res) => {
        const serverFingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, serverFingerprint }),
        )
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', reject)
    req.end(options.body)
  })
}

const execFileAsync = promisify(execFile)

/**
 * curl's exit codes that mean the server refused the client (curl's manual, "EXIT CODES"): nothing else
 * counts as a refusal, neither curl missing nor curl giving up on a silent server (28).
 */
export const CURL_REFUSALS = {
  /** The TLS handshake failed: a TLS 1.2 server's alert during the handshake. */
  35: 'handshake failed',
  /** The TLS session ended with an alert once the handshake was done: a TLS 1.3 server refusing the certificate. */
  56: 'alert after the handshake',
  /** The server closed the connection without an answer: the exporter's own check after the handshake. */
  52: 'closed without an answer',
} as const
export type CurlRefusal = (typeof CURL_REFUSALS)[keyof typeof CURL_REFUSALS]

export type CurlResult =
  | { status: number; body: string }
  | { refused: CurlRefusal; curlExit: number; stderr: string }

/**
 * The same with curl: resolves with the HTTP status, or how the server refused the client. Throws when
 * curl could not be run or failed another way (a timeout, say), so that no such failure passes for a
 * refusal.
 */
export async function curl(url: string, options: TlsRequestOptions): Promise<CurlResult> {
  const args = ['-sS', '--max-time', '10', '--cacert', options.ca, '-w', '\n%{http_code}']
  if (options.cert) args.push('--cert', options.cert)
  if (options.key) args.push('--key', options.key)
  if (options.auth) args.push('-u', options.auth)
  if (options.method) args.push('-X', options.method)
  if (options.body) args.push('--data-binary', options.body)
  try {
    const { stdout } = await execFileAsync('curl', [...args, url])
    const cut = stdout.lastIndexOf('\n')
    return { status: Number(stdout.slice(cut + 1)), body: stdout.slice(0, cut) }
  } catch (error) {
    const { code, stderr } = error as { code: number | string; stderr?: string }
    if (code === 'ENOENT') throw new Error('curl is not installed (Debian: apt-get install curl)')
    const refused = CURL_REFUSALS[code as keyof typeof CURL_REFUSALS]
    if (refused === undefined) throw new Error(`curl failed with exit code ${code}, not a refusal: ${stderr}`)
    return { refused, curlExit: code as number, stderr: stderr ?? '' }
  }
}
