import type { IncomingMessage } from 'node:http'

/**
 * The path (with query) to request on the upstream: UPSTREAM_URL's own path, then its own query if it
 * has one, then Chat's query string byte for byte (joined with `&`), so that the app can still verify
 * `Sign` and read `SdkAppid`, `CallbackCommand`, `OptPlatform` and `ClientIP` itself.
 */
export function upstreamPath(upstreamUrl: URL, rawQuery: string): string {
  const ownQuery = upstreamUrl.search.slice(1)
  const query = [ownQuery, rawQuery].filter((part) => part !== '').join('&')
  return query === '' ? upstreamUrl.pathname : `${upstreamUrl.pathname}?${query}`
}

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the request: never forwarded, by
 * front-proxy mode or the REST meter, nor are the headers a `Connection` header names.
 */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
] as const

/**
 * The end-to-end headers of a request as a flat `[name, value, ...]` list, with their original spelling
 * and order, less the hop-by-hop ones and the names in `alsoDrop` (lower case). Calls `seen` with each
 * header's lower-case name and value, dropped or not, for the caller's own bookkeeping.
 */
export function endToEndHeaders(
  req: IncomingMessage,
  alsoDrop: ReadonlySet<string>,
  seen?: (lowerName: string, value: string) => void,
): string[] {
  const raw = req.rawHeaders
  const connectionTokens = new Set(
    String(req.headers.connection ?? '')
      .split(',')
      .map((token) => token.trim().toLowerCase())
      .filter((token) => token !== ''),
  )
  const headers: string[] = []
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    const value = raw[i + 1] as string
    const lower = name.toLowerCase()
    seen?.(lower, value)
    if (HOP_BY_HOP_SET.has(lower) || alsoDrop.has(lower) || connectionTokens.has(lower)) continue
    headers.push(name, value)
  }
  return headers
}

const HOP_BY_HOP_SET: ReadonlySet<string> = new Set(HOP_BY_HOP)

// Host and Content-Length are set anew for the upstream request; Expect is answered by the exporter;
// Accept-Encoding is dropped so that the app answers uncompressed and its body can pass back unchanged;
// Via and X-Forwarded-For are written again with this hop appended.
const NOT_FORWARDED_TO_APP = new Set([
  'host',
  'content-length',
  'expect',
  'accept-encoding',
  'x-forwarded-for',
  'via',
])

/**
 * The headers sent to the upstream, as a flat `[name, value, ...]` list: every end-to-end header of
 * Chat's request with its original spelling and order (Content-Type, User-Agent, ...), then Via and
 * X-Forwarded-For with this hop appended, and X-Forwarded-Proto and X-Forwarded-Host unless a proxy in
 * front of the exporter already set them.
 */
export function forwardedHeaders(req: IncomingMessage, via: string): string[] {
  const forwardedFor: string[] = []
  const vias: string[] = []
  let hasProto = false
  let hasHost = false
  const headers = endToEndHeaders(req, NOT_FORWARDED_TO_APP, (lower, value) => {
    if (lower === 'x-forwarded-for') forwardedFor.push(value)
    else if (lower === 'via') vias.push(value)
    else if (lower === 'x-forwarded-proto') hasProto = true
    else if (lower === 'x-forwarded-host') hasHost = true
  })
  headers.push('via', [...vias, via].join(', '))
  const remoteAddress = req.socket.remoteAddress
  if (remoteAddress !== undefined) forwardedFor.push(remoteAddress)
  if (forwardedFor.length > 0) headers.push('x-forwarded-for', forwardedFor.join(', '))
  if (!hasProto) headers.push('x-forwarded-proto', 'encrypted' in req.socket ? 'https' : 'http')
  if (!hasHost && req.headers.host !== undefined) headers.push('x-forwarded-host', req.headers.host)
  return headers
}

/**
 * This process's entry in the Via header (RFC 9110 §7.6.3). The random part tells this exporter from
 * another one in a chain, so that only a request that comes back to the same process is a loop.
 */
export function viaEntry(id: string): string {
  return `1.1 tencent-chat-exporter-${id}`
}

/** Whether the request already passed through the exporter whose Via entry is `via`. */
export function passedThrough(req: IncomingMessage, via: string): boolean {
  return req.headers.via?.split(',').some((entry) => entry.trim() === via) ?? false
}
