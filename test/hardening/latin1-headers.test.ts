import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callbackUrl } from '../helpers/callbacks.js'
import { startProxy, type TestProxy } from '../proxy/start-proxy.js'
import { type FakeUpstream, startUpstream } from '../proxy/upstream-server.js'
import { until } from './support/server-side.js'

// Front-proxy mode forwards header bytes as received: HTTP header values are bytes, which Node reads
// as Latin-1, one character a byte; a value holding bytes 0x80–0xFF must reach the app (and the app's
// Content-Type must come back) with those same bytes, not re-encoded as UTF-8 (`caf\xe9` as `cafÃ©`).

const HIGH = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0xa0, 0xff, 0x80]) // "café", NBSP, ÿ, 0x80

let app: FakeUpstream
let proxy: TestProxy
beforeAll(async () => {
  app = await startUpstream((_request, res) => {
    // The answer's head written as bytes, with a Content-Type holding the same bytes.
    res.socket?.write(
      Buffer.concat([
        Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/json; note='),
        HIGH,
        Buffer.from('\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'),
      ]),
    )
    res.socket?.end()
  })
  proxy = await startProxy({ upstreamUrl: `${app.url}/hooks` })
})
afterAll(async () => {
  await proxy?.close()
  await app?.close()
})

/** The bytes of header `name` among raw headers as Node read them (Latin-1: one character a byte). */
const bytesOf = (rawHeaders: string[], name: string) => {
  const at = rawHeaders.findIndex((header, i) => i % 2 === 0 && header.toLowerCase() === name)
  return at === -1 ? undefined : Buffer.from(rawHeaders[at + 1] as string, 'latin1')
}

describe('front-proxy mode and header bytes beyond ASCII', () => {
  it('forwards them as received, both ways', async () => {
    const url = new URL(callbackUrl(proxy.url, { command: 'C2C.CallbackBeforeSendMsg' }))
    const head = (name: string) => Buffer.concat([Buffer.from(`${name}: `), HIGH, Buffer.from('\r\n')])
    const request = Buffer.concat([
      Buffer.from(`POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: chat.example\r\n`),
      head('X-Note'),
      head('User-Agent'),
      head('X-Forwarded-For'),
      Buffer.from('Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}'),
    ])
    let answer = Buffer.alloc(0)
    const socket = connect(Number(new URL(proxy.url).port), '127.0.0.1', () => socket.write(request))
    socket.on('data', (chunk: Buffer) => {
      answer = Buffer.concat([answer, chunk])
    })
    socket.on('error', () => {})
    await until(() => answer.includes('\r\n\r\n{}'), "the app's answer, passed back")
    socket.destroy()

    const seen = app.received.at(-1)
    expect(seen).toBeDefined()
    const raw = seen?.rawHeaders ?? []
    expect(bytesOf(raw, 'x-note')).toEqual(HIGH)
    expect(bytesOf(raw, 'user-agent')).toEqual(HIGH)
    // The client's X-Forwarded-For first, then this hop's address.
    expect(bytesOf(raw, 'x-forwarded-for')).toEqual(Buffer.concat([HIGH, Buffer.from(', 127.0.0.1')]))
    const contentType = answer.indexOf('Content-Type: ')
    expect(answer.subarray(contentType, answer.indexOf('\r\n', contentType))).toEqual(
      Buffer.concat([Buffer.from('Content-Type: application/json; note='), HIGH]),
    )
  })
})
