import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue, TOKEN } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

const OK = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'
const API = { sdkappid: SDKAPPID, service_name: 'openim', command: 'batchsendmsg' }

let exporter: TestExporter
const scrape = async () => (await fetch(`${exporter.url}/metrics`)).text()

beforeAll(async () => {
  exporter = await startExporter({ config: { sdkAppIds: new Set([SDKAPPID]), callbackToken: TOKEN } })
})
afterAll(() => exporter.close())

describe('POST /callback with Alert.RequestOverLimit', () => {
  it('answers exactly the OK body and exposes the five API series', async () => {
    const before = Date.now() / 1000
    const answer = await postCallback(callbackUrl(exporter.url, { token: TOKEN }), alertBody())
    expect(answer.status).toBe(200)
    expect(answer.text).toBe(OK)
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8')

    const metrics = await scrape()
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', API)).toBe(510)
    expect(sampleValue(metrics, 'tencent_chat_api_request_limit_per_second', API)).toBe(200)
    expect(sampleValue(metrics, 'tencent_chat_api_utilization_ratio', API)).toBe(2.55)
    expect(sampleValue(metrics, 'tencent_chat_api_overlimit_alerts_total', API)).toBe(1)
    const last = sampleValue(metrics, 'tencent_chat_api_last_alert_timestamp_seconds', API) ?? 0
    expect(last).toBeGreaterThanOrEqual(Math.floor(before))
    expect(last).toBeLessThanOrEqual(Date.now() / 1000)
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_callbacks_total', {
        sdkappid: SDKAPPID,
        callback_command: 'Alert.RequestOverLimit',
      }),
    ).toBe(1)
    expect(sampleValue(metrics, 'tencent_chat_exporter_tracked_apis')).toBe(1)
  })

  it('updates the gauges and counts every repeat', async () => {
    for (const request of [170, 180]) {
      const answer = await postCallback(
        callbackUrl(exporter.url, { token: TOKEN }),
        alertBody({ Request: request }),
      )
      expect(answer.text).toBe(OK)
    }
    const metrics = await scrape()
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', API)).toBe(180)
    expect(sampleValue(metrics, 'tencent_chat_api_utilization_ratio', API)).toBe(0.9)
    expect(sampleValue(metrics, 'tencent_chat_api_overlimit_alerts_total', API)).toBe(3)
  })

  it.each([
    ['no Content-Type', {}],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['application/json; charset=utf-8', { 'content-type': 'application/json; charset=utf-8' }],
    ['application/x-www-form-urlencoded', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['application/octet-stream', { 'content-type': 'application/octet-stream' }],
  ])('parses the body as JSON with %s', async (_, headers) => {
    const body = alertBody({ Command: 'sendmsg', Request: 170 })
    // fetch adds text/plain for string bodies; a Buffer body goes without a Content-Type.
    const answer = await postCallback(callbackUrl(exporter.url, { token: TOKEN }), Buffer.from(body), headers)
    expect(answer.status).toBe(200)
    expect(answer.text).toBe(OK)
  })

  it('accepts numeric strings for Request and Limit, and a Limit of 0 without a utilisation series', async () => {
    const labels = { ...API, command: 'zero_limit' }
    await postCallback(
      callbackUrl(exporter.url, { token: TOKEN }),
      alertBody({ Command: 'zero_limit', Request: '12', Limit: '0' }),
    )
    const metrics = await scrape()
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', labels)).toBe(12)
    expect(sampleValue(metrics, 'tencent_chat_api_request_limit_per_second', labels)).toBe(0)
    expect(sampleValue(metrics, 'tencent_chat_api_utilization_ratio', labels)).toBeUndefined()
  })
})

describe('POST /callback with Group.CallbackOnDailyGroupQuotaAlarm', () => {
  it('exposes the four group quota series', async () => {
    const answer = await postCallback(
      callbackUrl(exporter.url, { token: TOKEN, command: 'Group.CallbackOnDailyGroupQuotaAlarm' }),
      JSON.stringify({
        CallbackCommand: 'Group.CallbackOnDailyGroupQuotaAlarm',
        QuotaUsed: 7321,
        Quota: 10000,
        EventTime: '1670574414123',
      }),
    )
    expect(answer.text).toBe(OK)
    const metrics = await scrape()
    const app = { sdkappid: SDKAPPID }
    expect(sampleValue(metrics, 'tencent_chat_group_daily_net_increase', app)).toBe(7321)
    expect(sampleValue(metrics, 'tencent_chat_group_daily_quota', app)).toBe(10000)
    expect(sampleValue(metrics, 'tencent_chat_group_daily_quota_utilization_ratio', app)).toBe(0.7321)
    expect(sampleValue(metrics, 'tencent_chat_group_quota_alerts_total', app)).toBe(1)
  })
})

describe('POST /callback with other commands', () => {
  it.each([
    ['C2C.CallbackBeforeSendMsg', { From_Account: 'jared', To_Account: 'Jonh', MsgBody: [] }],
    ['Group.CallbackAfterNewMemberJoin', { GroupId: '@TGS#2J4SZEAEL', NewMemberList: [] }],
    ['State.StateChange', { Info: { Action: 'Login', To_Account: 'a' } }],
  ])('acknowledges %s with the OK (allow) answer and counts it', async (command, body) => {
    const answer = await postCallback(
      callbackUrl(exporter.url, {
        token: TOKEN,
        command,
        extra: { OptPlatform: 'IOS', ClientIP: '10.1.2.3' },
      }),
      JSON.stringify({ CallbackCommand: command, ...body }),
    )
    expect(answer.status).toBe(200)
    expect(answer.text).toBe(OK)
    const metrics = await scrape()
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_callbacks_total', {
        sdkappid: SDKAPPID,
        callback_command: command,
      }),
    ).toBe(1)
  })

  it('serves many callbacks over one keep-alive connection', async () => {
    const { Agent, request } = await import('node:http')
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const sockets = new Set<unknown>()
    for (let i = 0; i < 20; i++) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          callbackUrl(exporter.url, { token: TOKEN, command: 'C2C.CallbackAfterSendMsg' }),
          { method: 'POST', agent },
          (res) => {
            sockets.add(res.socket)
            res.resume()
            res.on('end', () => resolve(res.statusCode ?? 0))
          },
        )
        req.on('error', reject)
        req.end('{}')
      })
      expect(status).toBe(200)
    }
    expect(sockets.size).toBe(1)
    agent.destroy()
  })
})
