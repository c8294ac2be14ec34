import { connect, type Socket } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { until, watchConnections } from './support/server-side.js'

// A body whose reading stops before its end (a gzip body that does not decode) is answered 400, and the
// connection is closed after the answer: its rest would never be read, and the client, waiting on a
// keep-alive connection, would see nothing more until the request timeout. Judged from the answer's
// headers and the server's own close event.

let exporter: TestExporter
beforeAll(async () => {
  exporter = await startExporter({ config: { logLevel: 'warn' } })
})
afterAll(() => exporter.close())

function send(port: number, head: string, body: Buffer) {
  const socket: Socket = connect(port, '127.0.0.1')
  let answer = ''
  socket.setEncoding('latin1')
  socket.on('data', (chunk: string) => {
    answer += chunk
  })
  socket.on('error', () => {})
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
  let localPort = 0
  socket.on('connect', () => {
    localPort = socket.localPort as number
    socket.write(head)
    socket.write(body)
  })
  return { socket, answer: () => answer, closed, port: () => localPort }
}

describe('a gzip body that does not decode', () => {
  it('is answered 400 malformed_json, and the connection closed after the answer', async () => {
    const server = exporter.servers[0]
    if (server === undefined) throw new Error('no listener')
    const watch = watchConnections(server)
    const port = Number(new URL(exporter.url).port)
    const url = new URL(callbackUrl(exporter.url))
    // Not gzip from its first byte, and long enough to arrive in many pieces.
    const body = Buffer.concat([Buffer.from('not gzip at all '), Buffer.alloc(256 * 1024, 'x')])
    const head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n`
    const client = send(port, head, body)
    await until(() => client.answer().includes('\r\n\r\n'), 'the answer')
    const clientPort = client.port()
    expect(client.answer()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(client.answer()).toMatch(/\r\nConnection: close\r\n/i)
    // The server closes its side: no request timeout to wait for.
    await until(() => watch.closed.has(clientPort), 'the server closing the connection')
    await client.closed
    expect(client.answer()).not.toContain('408')
    expect(client.answer()).toContain('malformed_json: the body could not be decoded as gzip')
  })

  it('leaves a keep-alive connection open after a body read to its end', async () => {
    const port = Number(new URL(exporter.url).port)
    const url = new URL(callbackUrl(exporter.url))
    const body = gzipSync(alertBody())
    const head = `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: ${body.length}\r\n\r\n`
    const client = send(port, head, body)
    await until(() => client.answer().includes('"ActionStatus":"OK"'), 'the answer')
    expect(client.answer()).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
    expect(client.answer()).not.toMatch(/\r\nConnection: close\r\n/i)
    expect(client.socket.destroyed).toBe(false)
    client.socket.destroy()
  })
})
