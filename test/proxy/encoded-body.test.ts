import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, sampleValue } from '../helpers/callbacks.js'
import { signedQuery, startSignedProxy, type TestProxy } from './start-proxy.js'
import { type FakeUpstream, startUpstream } from './upstream-server.js'

describe('front-proxy mode and encoded bodies', () => {
  let upstream: FakeUpstream
  let proxy: TestProxy

  beforeAll(async () => {
    upstream = await startUpstream()
    proxy = await startSignedProxy(upstream)
  })
  afterAll(async () => {
    await proxy.close()
    await upstream.close()
  })

  it('forwards a gzip body as received: the same bytes, with its Content-Encoding', async () => {
    const text = JSON.stringify({ CallbackCommand: 'C2C.CallbackBeforeSendMsg', MsgBody: [{ Text: '你好' }] })
    const body = gzipSync(text)
    const answer = await proxy.post(`/callback?${signedQuery('C2C.CallbackBeforeSendMsg')}`, body, {
      'content-type': 'application/json',
      'content-encoding': 'GZIP',
    })
    expect(answer.status).toBe(200)
    const seen = upstream.received.at(-1)
    expect(seen?.body.equals(body)).toBe(true)
    expect(seen?.headers['content-encoding']).toBe('GZIP')
    expect(seen?.headers['content-length']).toBe(String(body.length))
  })

  it('decodes a gzip alert to record it, and forwards it encoded', async () => {
    const body = gzipSync(alertBody({ Command: 'proxied_gzip', Request: 250 }))
    const answer = await proxy.post(`/callback?${signedQuery('Alert.RequestOverLimit')}`, body, {
      'content-encoding': 'gzip',
    })
    expect(answer.status).toBe(200)
    expect(upstream.received.at(-1)?.body.equals(body)).toBe(true)
    const metrics = await proxy.scrape()
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', { command: 'proxied_gzip' })).toBe(
      250,
    )
  })

  it('forwards nothing when the encoding is not supported: 415 to Chat', async () => {
    const before = upstream.received.length
    const answer = await proxy.post(`/callback?${signedQuery('C2C.CallbackBeforeSendMsg')}`, '{}', {
      'content-encoding': 'br',
    })
    expect(answer.status).toBe(415)
    expect(upstream.received.length).toBe(before)
  })
})
