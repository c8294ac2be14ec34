import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { forwardedHeaders, passedThrough, upstreamPath, viaEntry } from '../../src/proxy/forward-request.js'

const VIA = viaEntry('0a1b2c3d')

describe('upstreamPath', () => {
  const query = 'SdkAppid=1400000001&CallbackCommand=State.StateChange&Sign=ab%2Bcd'

  it("appends Chat's query string unchanged to UPSTREAM_URL's path", () => {
    expect(upstreamPath(new URL('http://app:8080/im/callback'), query)).toBe(`/im/callback?${query}`)
    expect(upstreamPath(new URL('http://app:8080'), query)).toBe(`/?${query}`)
  })

  it("keeps UPSTREAM_URL's own query first", () => {
    expect(upstreamPath(new URL('http://app/cb?tenant=a&x=%20'), query)).toBe(`/cb?tenant=a&x=%20&${query}`)
  })

  it('adds no stray separators', () => {
    expect(upstreamPath(new URL('http://app/cb?'), '')).toBe('/cb')
    expect(upstreamPath(new URL('http://app/cb?t=1'), '')).toBe('/cb?t=1')
  })
})

function fakeRequest(rawHeaders: string[], remoteAddress = '10.0.0.9', encrypted = false): IncomingMessage {
  const headers: Record<string, string> = {}
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase()
    headers[name] = headers[name] ? `${headers[name]}, ${rawHeaders[i + 1]}` : (rawHeaders[i + 1] as string)
  }
  const socket = encrypted ? { remoteAddress, encrypted: true } : { remoteAddress }
  return { rawHeaders, headers, socket } as unknown as IncomingMessage
}

describe('forwardedHeaders', () => {
  it('keeps end-to-end headers in their spelling and order, and drops hop-by-hop ones', () => {
    const headers = forwardedHeaders(
      fakeRequest(
        [
          ['Host', 'exporter:10240'],
          ['User-Agent', 'Tencent'],
          ['Content-Type', 'application/json'],
          ['Content-Length', '12'],
          ['Transfer-Encoding', 'chunked'],
          ['Connection', 'keep-alive, X-Secret'],
          ['X-Secret', 'hop'],
          ['TE', 'trailers'],
          ['Upgrade', 'h2c'],
          ['Expect', '100-continue'],
          ['X-Custom', 'one'],
          ['x-custom', 'two'],
        ].flat(),
      ),
      VIA,
    )
    expect(headers).toEqual(
      [
        ['User-Agent', 'Tencent'],
        ['Content-Type', 'application/json'],
        ['X-Custom', 'one'],
        ['x-custom', 'two'],
        ['via', '1.1 tencent-chat-exporter-0a1b2c3d'],
        ['x-forwarded-for', '10.0.0.9'],
        ['x-forwarded-proto', 'http'],
        ['x-forwarded-host', 'exporter:10240'],
      ].flat(),
    )
  })

  it('appends to X-Forwarded-For and keeps the Proto and Host a proxy in front already set', () => {
    const headers = forwardedHeaders(
      fakeRequest(
        [
          ['X-Forwarded-For', '203.0.113.1'],
          ['X-Forwarded-For', '198.51.100.2'],
          ['X-Forwarded-Proto', 'https'],
          ['X-Forwarded-Host', 'im.example.com'],
          ['Via', '1.1 ingress'],
          ['Host', 'exporter'],
        ].flat(),
        '10.1.2.3',
      ),
      VIA,
    )
    expect(headers).toEqual(
      [
        ['X-Forwarded-Proto', 'https'],
        ['X-Forwarded-Host', 'im.example.com'],
        ['via', `1.1 ingress, ${VIA}`],
        ['x-forwarded-for', '203.0.113.1, 198.51.100.2, 10.1.2.3'],
      ].flat(),
    )
  })

  it('says https when the exporter itself terminated TLS', () => {
    expect(forwardedHeaders(fakeRequest([], '10.0.0.1', true), VIA)).toEqual(
      [
        ['via', VIA],
        ['x-forwarded-for', '10.0.0.1'],
        ['x-forwarded-proto', 'https'],
      ].flat(),
    )
  })
})

describe('passedThrough', () => {
  it('finds this exporter in Via, and only this one', () => {
    expect(passedThrough(fakeRequest(['Via', `1.1 ingress, ${VIA}`]), VIA)).toBe(true)
    expect(passedThrough(fakeRequest(['Via', `1.1 ingress, ${viaEntry('ffffffff')}`]), VIA)).toBe(false)
    expect(passedThrough(fakeRequest([]), VIA)).toBe(false)
  })
})
