import type { ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { SDKAPPID, sampleValue } from '../helpers/callbacks.js'
import { startProxy, type TestProxy } from './start-proxy.js'
import { allowAll, type FakeUpstream, startUpstream } from './upstream-server.js'

const OK = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'
const COMMAND = 'C2C.CallbackBeforeSendMsg'
const QUERY = `SdkAppid=${SDKAPPID}&CallbackCommand=${COMMAND}&contenttype=json&OptPlatform=Android`
const BODY = `{"CallbackCommand":"${COMMAND}","From_Account":"alice","To_Account":"bob"}`
const TIMEOUT_MS = 300

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now()
  const result = await work()
  return { result, ms: performance.now() - started }
}

function outcomeCount(metrics: string, outcome: string): number | undefined {
  return sampleValue(metrics, 'tencent_chat_exporter_upstream_requests_total', {
    callback_command: COMMAND,
    outcome,
  })
}

describe.each(['allow', 'reject'] as const)('UPSTREAM_FAILURE_POLICY=%s', (policy) => {
  let upstream: FakeUpstream
  // Short UPSTREAM_TIMEOUT_MS for the slow app; a long one where timing is not the point, so that a
  // busy machine cannot turn another failure into a timeout.
  let proxy: TestProxy
  let patient: TestProxy
  // Answers held back by the slow app, released after each test.
  const held: ServerResponse[] = []

  beforeAll(async () => {
    upstream = await startUpstream()
    proxy = await startProxy({
      upstreamUrl: `${upstream.url}/callback`,
      upstream: { timeoutMs: TIMEOUT_MS, failurePolicy: policy },
    })
    patient = await startProxy({
      upstreamUrl: `${upstream.url}/callback`,
      upstream: { timeoutMs: 10_000, failurePolicy: policy },
    })
  })
  afterAll(async () => {
    await proxy.close()
    await patient.close()
    await upstream.close()
  })
  afterEach(() => {
    for (const res of held.splice(0)) res.destroy()
    upstream.setHandler(allowAll)
  })

  it('answers by the policy within UPSTREAM_TIMEOUT_MS when the app is too slow', async () => {
    upstream.setHandler((_request, res) => {
      held.push(res)
    })
    const { result, ms } = await timed(() => proxy.post(`/callback?${QUERY}`, BODY))

    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 10)
    // Chat waits 2 s: the answer must come before that, however busy the machine.
    expect(ms).toBeLessThan(2000)
    if (policy === 'allow') {
      expect([result.status, result.text]).toEqual([200, OK])
    } else {
      expect(result.status).toBe(504)
      expect(JSON.parse(result.text)).toEqual({
        ActionStatus: 'FAIL',
        ErrorCode: 50401,
        ErrorInfo: `upstream_timeout: no answer within ${TIMEOUT_MS} ms`,
      })
    }
    expect(result.contentType).toBe('application/json; charset=utf-8')
    const metrics = await proxy.scrape()
    expect(outcomeCount(metrics, 'timeout')).toBe(1)
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_upstream_request_duration_seconds_bucket', {
        callback_command: COMMAND,
        le: '0.25',
      }),
    ).toBe(0)
    // The app decided nothing: no decision is counted for the policy's answer.
    expect(metrics).not.toContain('tencent_chat_callback_decisions_total{')
    const log = proxy.proxyLogs.find((line) => line.outcome === 'timeout')
    expect(log).toMatchObject({ level: 'warn', callback_command: COMMAND, failure_policy: policy })
    expect(JSON.stringify(log)).not.toContain('Sign')
  })

  it('answers by the policy when the app answers headers but stalls the body', async () => {
    upstream.setHandler((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '60' })
      res.write('{"ActionStatus":"OK",')
      held.push(res)
    })
    const { result, ms } = await timed(() => proxy.post(`/callback?${QUERY}`, BODY))
    expect(ms).toBeLessThan(2000)
    expect(result.status).toBe(policy === 'allow' ? 200 : 504)
    expect(outcomeCount(await proxy.scrape(), 'timeout')).toBe(2)
  })

  it('answers by the policy when the app drops the connection without answering', async () => {
    upstream.setHandler((_request, res) => {
      res.socket?.destroy()
    })
    const result = await patient.post(`/callback?${QUERY}`, BODY)
    expect(result.status).toBe(policy === 'allow' ? 200 : 502)
    if (policy === 'reject') expect(JSON.parse(result.text).ErrorCode).toBe(50201)
    expect(outcomeCount(await patient.scrape(), 'connection_error')).toBe(1)
  })

  it('answers by the policy when the app answers more than BODY_LIMIT_BYTES', async () => {
    const limit = patient.config.bodyLimitBytes
    upstream.setHandler((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      // Chunked, without Content-Length: the limit must hold while reading, not only from the header.
      res.write(`{"ActionStatus":"OK","ErrorInfo":"${'x'.repeat(limit)}`)
      res.end('","ErrorCode":0}')
    })
    const result = await patient.post(`/callback?${QUERY}`, BODY)
    expect(result.status).toBe(policy === 'allow' ? 200 : 502)
    if (policy === 'allow') expect(result.text).toBe(OK)
    else expect(JSON.parse(result.text).ErrorCode).toBe(50202)
    const metrics = await patient.scrape()
    expect(outcomeCount(metrics, 'http_error')).toBe(1)
  })

  it('passes back an answer of exactly BODY_LIMIT_BYTES', async () => {
    const limit = patient.config.bodyLimitBytes
    const prefix = '{"ActionStatus":"OK","ErrorCode":0,"ErrorInfo":"'
    const answer = `${prefix}${'y'.repeat(limit - prefix.length - 2)}"}`
    expect(answer.length).toBe(limit)
    upstream.setHandler((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end(answer)
    })
    const result = await patient.post(`/callback?${QUERY}`, BODY)
    expect(result.status).toBe(200)
    expect(result.text).toBe(answer)
  })

  it('answers fast by the policy when the app is down, and stays ready', async () => {
    // A long timeout, to show that a refused connection is answered at once rather than at the deadline.
    const stopped = await startUpstream()
    await stopped.close()
    const proxyToStopped = await startProxy({
      upstreamUrl: `${stopped.url}/callback`,
      upstream: { timeoutMs: 10_000, failurePolicy: policy },
    })
    try {
      const { result, ms } = await timed(() => proxyToStopped.post(`/callback?${QUERY}`, BODY))
      expect(ms).toBeLessThan(1000)
      expect(result.status).toBe(policy === 'allow' ? 200 : 502)
      if (policy === 'allow') expect(result.text).toBe(OK)
      else {
        expect(JSON.parse(result.text)).toEqual({
          ActionStatus: 'FAIL',
          ErrorCode: 50201,
          ErrorInfo: 'upstream_unavailable: the app could not be reached',
        })
      }
      const metrics = await proxyToStopped.scrape()
      expect(outcomeCount(metrics, 'connection_error')).toBe(1)
      expect(outcomeCount(metrics, 'timeout')).toBe(0)
      const log = proxyToStopped.proxyLogs.find((line) => line.outcome === 'connection_error')
      expect(String(log?.detail)).toContain('ECONNREFUSED')
      // Readiness does not depend on the app: the pod stays in service while the app restarts.
      const ready = await fetch(`${proxyToStopped.url}/-/ready`)
      expect(ready.status).toBe(200)
    } finally {
      await proxyToStopped.close()
    }
  })
})
