import { request } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { computeSign } from '../../src/auth/signature.js'
import { alertBody, SDKAPPID, sampleValue, TOKEN } from '../helpers/callbacks.js'
import { signedQuery, startProxy, startSignedProxy, type TestProxy } from './start-proxy.js'
import { allowAll, type FakeUpstream, startUpstream } from './upstream-server.js'

const OK = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'

/** Parameters with bytes that normalising code would change. */
const ODD_PARAMS = "&Note=%E4%BD%A0%e5%a5%bd&plus=a+b%2Bc%20d&odd='!*();:@/?,~$&empty=&flag&Sp=%00%FF"

function beforeSendBody(text = 'hello'): string {
  return JSON.stringify({
    CallbackCommand: 'C2C.CallbackBeforeSendMsg',
    From_Account: 'alice',
    To_Account: 'bob',
    MsgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: text } }],
  })
}

describe('front-proxy forwarding', () => {
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
  afterEach(() => {
    upstream.setHandler(allowAll)
  })

  it('forwards the query string and the body bytes exactly, so that the app can verify Sign itself', async () => {
    const query = signedQuery('C2C.CallbackBeforeSendMsg', ODD_PARAMS)
    // A byte-order mark, CRLF white space, Chinese and emoji, and an invalid UTF-8 byte inside a string.
    const body = Buffer.concat([
      Buffer.from(
        '\uFEFF{\r\n  "CallbackCommand": "C2C.CallbackBeforeSendMsg",\r\n  "Text": "你好 🙂 ',
        'utf8',
      ),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('",\t"n": 1.50e2 }\r\n', 'utf8'),
    ])
    const before = upstream.received.length

    const answer = await proxy.post(`/callback?${query}`, body)

    expect(answer.status).toBe(200)
    expect(upstream.received.length).toBe(before + 1)
    const seen = upstream.received.at(-1)
    expect(seen?.method).toBe('POST')
    expect(seen?.url).toBe(`/im/callback?${query}`)
    expect(seen?.body.equals(body)).toBe(true)
    const params = new URLSearchParams(seen?.url.split('?')[1])
    const requestTime = Number(params.get('RequestTime'))
    expect(params.get('Sign')).toBe(computeSign(TOKEN, requestTime))
  })

  it('forwards end-to-end headers, drops hop-by-hop ones, and adds X-Forwarded-*', async () => {
    // node:http sends the Connection header as given (undici's client would drop it).
    await new Promise<void>((resolve, reject) => {
      const req = request(`${proxy.url}/callback?${signedQuery('State.StateChange')}`, {
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'User-Agent': 'Tencent-IM-Callback/1.0',
          'X-Request-Id': 'abc-123',
          Connection: 'keep-alive, X-Hop',
          'X-Hop': 'must not pass',
          'Keep-Alive': 'timeout=30',
          'Proxy-Authorization': 'Basic c2VjcmV0',
          'X-Forwarded-For': '198.51.100.7',
          'Accept-Encoding': 'gzip',
        },
      })
      req.on('response', (response) => {
        response.resume()
        response.on('end', resolve)
      })
      req.on('error', reject)
      req.end('{"CallbackCommand":"State.StateChange"}')
    })
    const headers = upstream.received.at(-1)?.headers ?? {}
    expect(headers['content-type']).toBe('application/json; charset=utf-8')
    expect(headers['user-agent']).toBe('Tencent-IM-Callback/1.0')
    expect(headers['x-request-id']).toBe('abc-123')
    expect(headers['content-length']).toBe(String('{"CallbackCommand":"State.StateChange"}'.length))
    expect(headers.host).toBe(`127.0.0.1:${upstream.port}`)
    expect(headers['x-hop']).toBeUndefined()
    expect(headers['keep-alive']).toBeUndefined()
    expect(headers['proxy-authorization']).toBeUndefined()
    expect(headers['accept-encoding']).toBeUndefined()
    expect(headers['x-forwarded-for']).toBe('198.51.100.7, 127.0.0.1')
    expect(headers['x-forwarded-proto']).toBe('http')
    expect(headers['x-forwarded-host']).toBe(new URL(proxy.url).host)
  })

  it.each([
    { name: 'allow', status: 200, type: 'application/json', body: OK, decision: '0' },
    {
      name: 'forbid with ErrorCode 1',
      status: 200,
      type: 'application/json; charset=utf-8',
      body: '{"ActionStatus":"OK","ErrorInfo":"blocked","ErrorCode":1}',
      decision: '1',
    },
    {
      name: 'drop silently',
      status: 200,
      type: 'application/json',
      body: '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":2}',
      decision: '2',
    },
    {
      name: "the app's own forbid code",
      status: 200,
      type: 'application/json',
      body: '{"ActionStatus":"OK","ErrorInfo":"muted","ErrorCode":120123}',
      decision: '120123',
    },
    {
      name: 'an undocumented code',
      status: 200,
      type: 'application/json',
      body: '{"ActionStatus":"FAIL","ErrorInfo":"?","ErrorCode":99999}',
      decision: 'other',
    },
    {
      name: 'a modified message',
      status: 200,
      type: 'application/json',
      body: '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0,"MsgBody":[{"MsgType":"TIMTextElem","MsgContent":{"Text":"**"}}]}',
      decision: '0',
    },
    {
      name: 'a 400',
      status: 400,
      type: 'application/json',
      body: '{"ActionStatus":"FAIL","ErrorInfo":"bad","ErrorCode":1}',
    },
    { name: 'a 403 without a body type', status: 403, type: undefined, body: 'forbidden' },
    { name: 'a 500', status: 500, type: 'text/plain', body: 'internal error' },
    { name: 'a 503', status: 503, type: 'text/html', body: '<h1>maintenance</h1>' },
    { name: 'a non-JSON 200', status: 200, type: 'text/html; charset=utf-8', body: '<html>ok</html>' },
  ])('passes back $name unchanged', async ({ status, type, body, decision }) => {
    upstream.setHandler((_request, res) => {
      res.statusCode = status
      if (type !== undefined) res.setHeader('Content-Type', type)
      res.end(body)
    })
    const command = 'C2C.CallbackBeforeSendMsg'
    const metricsBefore = await proxy.scrape()
    const outcome = status === 200 ? 'ok' : 'http_error'
    const requestsBefore =
      sampleValue(metricsBefore, 'tencent_chat_exporter_upstream_requests_total', {
        callback_command: command,
        outcome,
      }) ?? 0
    const decisionLabels = { sdkappid: SDKAPPID, callback_command: command, error_code: decision ?? '' }
    const decisionsBefore =
      sampleValue(metricsBefore, 'tencent_chat_callback_decisions_total', decisionLabels) ?? 0

    const answer = await proxy.post(`/callback?${signedQuery(command)}`, beforeSendBody())

    expect(answer.status).toBe(status)
    expect(answer.contentType).toBe(type)
    expect(answer.text).toBe(body)
    const metrics = await proxy.scrape()
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_upstream_requests_total', {
        callback_command: command,
        outcome,
      }),
    ).toBe(requestsBefore + 1)
    if (decision !== undefined) {
      expect(sampleValue(metrics, 'tencent_chat_callback_decisions_total', decisionLabels)).toBe(
        decisionsBefore + 1,
      )
    }
  })

  it('counts decisions only for before-callbacks answered 200, and its four outcomes from 0', async () => {
    upstream.setHandler((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1}')
    })
    const after = 'Group.CallbackAfterSendMsg'
    await proxy.post(`/callback?${signedQuery(after)}`, `{"CallbackCommand":"${after}"}`)
    upstream.setHandler((_request, res) => {
      res.writeHead(500, { 'Content-Type': 'application/json' })
      res.end('{"ActionStatus":"FAIL","ErrorInfo":"","ErrorCode":1}')
    })
    const prev = 'Sns.CallbackPrevFriendAdd'
    await proxy.post(`/callback?${signedQuery(prev)}`, `{"CallbackCommand":"${prev}"}`)

    const metrics = await proxy.scrape()
    expect(metrics).not.toContain(
      `tencent_chat_callback_decisions_total{sdkappid="${SDKAPPID}",callback_command="${after}"`,
    )
    expect(metrics).not.toContain(
      `tencent_chat_callback_decisions_total{sdkappid="${SDKAPPID}",callback_command="${prev}"`,
    )
    const requests = (command: string, outcome: string) =>
      sampleValue(metrics, 'tencent_chat_exporter_upstream_requests_total', {
        callback_command: command,
        outcome,
      })
    expect([requests(after, 'ok'), requests(after, 'http_error'), requests(after, 'timeout')]).toEqual([
      1, 0, 0,
    ])
    expect(requests(after, 'connection_error')).toBe(0)
    expect([requests(prev, 'ok'), requests(prev, 'http_error')]).toEqual([0, 1])
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_upstream_request_duration_seconds_count', {
        callback_command: prev,
      }),
    ).toBe(1)
  })

  it('records alarms as metrics and forwards them too', async () => {
    upstream.setHandler((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end('{"ActionStatus":"OK","ErrorInfo":"from the app","ErrorCode":0}')
    })
    const query = signedQuery('Alert.RequestOverLimit')
    const before = upstream.received.length

    const answer = await proxy.post(`/callback?${query}`, alertBody({ Command: 'sendmsg', Request: 190 }))

    expect(answer.text).toBe('{"ActionStatus":"OK","ErrorInfo":"from the app","ErrorCode":0}')
    expect(upstream.received.length).toBe(before + 1)
    expect(upstream.received.at(-1)?.url).toBe(`/im/callback?${query}`)
    const metrics = await proxy.scrape()
    expect(
      sampleValue(metrics, 'tencent_chat_api_requests_per_second', {
        sdkappid: SDKAPPID,
        command: 'sendmsg',
      }),
    ).toBe(190)
  })

  it.each([
    {
      name: 'a bad Sign',
      query: () => signedQuery('State.StateChange').replace(/Sign=[0-9a-f]{8}/, 'Sign=00000000'),
      status: 401,
    },
    {
      name: 'a missing Sign',
      query: () => `SdkAppid=${SDKAPPID}&CallbackCommand=State.StateChange&contenttype=json`,
      status: 401,
    },
    {
      name: 'a stale RequestTime',
      query: () => {
        const old = Math.floor(Date.now() / 1000) - 3600
        return `SdkAppid=${SDKAPPID}&CallbackCommand=State.StateChange&Sign=${computeSign(TOKEN, old)}&RequestTime=${old}`
      },
      status: 401,
    },
    {
      name: 'a foreign SdkAppid',
      query: () => signedQuery('State.StateChange').replace(SDKAPPID, '1400000999'),
      status: 403,
    },
  ])('never forwards a request with $name', async ({ query, status }) => {
    const before = upstream.received.length
    const answer = await proxy.post(`/callback?${query()}`, '{"CallbackCommand":"State.StateChange"}')
    expect(answer.status).toBe(status)
    expect(JSON.parse(answer.text).ActionStatus).toBe('FAIL')
    expect(upstream.received.length).toBe(before)
  })

  it('forwards a body of exactly BODY_LIMIT_BYTES unchanged, and never one a byte larger', async () => {
    const limit = proxy.config.bodyLimitBytes
    const sized = (bytes: number) => {
      const head = Buffer.from('{"CallbackCommand":"C2C.CallbackBeforeSendMsg","MsgBody":"', 'utf8')
      const tail = Buffer.from('"}', 'utf8')
      // Three-byte characters, and ASCII to fill up to the exact size.
      const fill = '消'.repeat(Math.floor((bytes - head.length - tail.length) / 3))
      const middle = Buffer.from(fill, 'utf8')
      const pad = Buffer.from('x'.repeat(bytes - head.length - tail.length - middle.length))
      return Buffer.concat([head, middle, pad, tail])
    }
    const query = signedQuery('C2C.CallbackBeforeSendMsg')
    const before = upstream.received.length

    const fits = await proxy.post(`/callback?${query}`, sized(limit))
    const tooLarge = await proxy.post(`/callback?${query}`, sized(limit + 1))

    expect(fits.status).toBe(200)
    expect(upstream.received.length).toBe(before + 1)
    expect(upstream.received.at(-1)?.body.length).toBe(limit)
    expect(upstream.received.at(-1)?.body.equals(sized(limit))).toBe(true)
    expect(tooLarge.status).toBe(413)
    expect(upstream.received.length).toBe(before + 1)
  })

  it('refuses a second pass through itself when UPSTREAM_URL leads back to the exporter', async () => {
    // The "app" hands each callback back to the exporter, headers and all, like a misrouted Service.
    upstream.setHandler(async (request, res) => {
      const again = await fetch(`${proxy.url}${request.url.replace('/im/callback', '/callback')}`, {
        method: 'POST',
        body: request.body,
        headers: { via: String(request.headers.via), 'content-type': 'application/json' },
      })
      res.writeHead(again.status, { 'Content-Type': again.headers.get('content-type') ?? '' })
      res.end(await again.text())
    })
    const before = upstream.received.length

    const answer = await proxy.post(
      `/callback?${signedQuery('State.StateChange')}`,
      '{"CallbackCommand":"State.StateChange"}',
    )

    expect(answer.status).toBe(508)
    expect(JSON.parse(answer.text)).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 50801 })
    expect(upstream.received.length).toBe(before + 1)
    expect(proxy.proxyLogs.some((line) => line.level === 'error' && String(line.msg).includes('loop'))).toBe(
      true,
    )
  })

  it('never forwards a malformed body', async () => {
    const before = upstream.received.length
    const answer = await proxy.post(`/callback?${signedQuery('State.StateChange')}`, '{"CallbackCommand":')
    expect(answer.status).toBe(400)
    expect(upstream.received.length).toBe(before)
  })
})

describe('front-proxy with its own query in UPSTREAM_URL and alarms not forwarded', () => {
  let upstream: FakeUpstream
  let proxy: TestProxy

  beforeAll(async () => {
    upstream = await startUpstream()
    proxy = await startProxy({
      upstreamUrl: `${upstream.url}/hooks/tim?source=exporter`,
      upstream: { forwardAlerts: false, timeoutMs: 10_000 },
    })
  })
  afterAll(async () => {
    await proxy.close()
    await upstream.close()
  })

  it("puts UPSTREAM_URL's query first and Chat's after it", async () => {
    const query = `SdkAppid=${SDKAPPID}&CallbackCommand=State.StateChange&contenttype=json&OptPlatform=Web`
    await proxy.post(`/callback?${query}`, '{"CallbackCommand":"State.StateChange"}')
    expect(upstream.received.at(-1)?.url).toBe(`/hooks/tim?source=exporter&${query}`)
  })

  it('answers alarms itself when UPSTREAM_FORWARD_ALERTS=false, and still records them', async () => {
    const before = upstream.received.length
    const alert = await proxy.post(
      `/callback?SdkAppid=${SDKAPPID}&CallbackCommand=Alert.RequestOverLimit&contenttype=json`,
      alertBody({ Request: 300 }),
    )
    const quota = await proxy.post(
      `/callback?SdkAppid=${SDKAPPID}&CallbackCommand=Group.CallbackOnDailyGroupQuotaAlarm&contenttype=json`,
      '{"CallbackCommand":"Group.CallbackOnDailyGroupQuotaAlarm","QuotaUsed":7321,"Quota":10000}',
    )
    expect([alert.status, alert.text]).toEqual([200, OK])
    expect([quota.status, quota.text]).toEqual([200, OK])
    expect(upstream.received.length).toBe(before)
    const metrics = await proxy.scrape()
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', { sdkappid: SDKAPPID })).toBe(300)
    expect(sampleValue(metrics, 'tencent_chat_group_daily_net_increase', { sdkappid: SDKAPPID })).toBe(7321)
    expect(metrics).not.toContain('tencent_chat_exporter_upstream_requests_total{callback_command="Alert.')
  })
})
