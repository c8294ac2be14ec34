import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, SDKAPPID, sampleValue } from '../helpers/callbacks.js'
import { type ExporterProcess, spawnExporter } from '../startup/exporter-process.js'
import { type FakeUpstream, startUpstream } from './upstream-server.js'

/** The entry point wires front-proxy mode from the environment, as a user would run it. */
describe('tencent-chat-exporter with UPSTREAM_URL', () => {
  let upstream: FakeUpstream
  let exporter: ExporterProcess
  let base: string

  beforeAll(async () => {
    upstream = await startUpstream((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end('{"ActionStatus":"OK","ErrorInfo":"no","ErrorCode":1}')
    })
    exporter = spawnExporter([process.execPath, '--import', 'tsx', 'src/main.ts'], {
      env: {
        UPSTREAM_URL: `${upstream.url}/app/callback`,
        UPSTREAM_TIMEOUT_MS: '10000',
        SDKAPPIDS: SDKAPPID,
      },
    })
    base = `http://127.0.0.1:${await exporter.listening()}`
  })
  afterAll(async () => {
    await exporter?.kill()
    await upstream?.close()
  })

  it('logs the upstream at start-up', () => {
    const line = exporter.logs().find((log) => log.msg === 'tencent-chat-exporter listening')
    expect(line?.upstream).toBe(`${upstream.url}/app/callback`)
  })

  it("forwards callbacks and alarms to the app and passes back the app's answer", async () => {
    const query = `SdkAppid=${SDKAPPID}&CallbackCommand=C2C.CallbackBeforeSendMsg&contenttype=json`
    const body = '{"CallbackCommand":"C2C.CallbackBeforeSendMsg","From_Account":"a","To_Account":"b"}'
    const answer = await fetch(`${base}/callback?${query}`, { method: 'POST', body })
    expect(answer.status).toBe(200)
    expect(await answer.text()).toBe('{"ActionStatus":"OK","ErrorInfo":"no","ErrorCode":1}')
    expect(upstream.received.at(-1)?.url).toBe(`/app/callback?${query}`)

    const alarm = await fetch(
      `${base}/callback?SdkAppid=${SDKAPPID}&CallbackCommand=Alert.RequestOverLimit`,
      {
        method: 'POST',
        body: alertBody(),
      },
    )
    expect(alarm.status).toBe(200)
    expect(upstream.received.length).toBe(2)

    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_upstream_requests_total', {
        callback_command: 'C2C.CallbackBeforeSendMsg',
        outcome: 'ok',
      }),
    ).toBe(1)
    expect(
      sampleValue(metrics, 'tencent_chat_callback_decisions_total', {
        sdkappid: SDKAPPID,
        callback_command: 'C2C.CallbackBeforeSendMsg',
        error_code: '1',
      }),
    ).toBe(1)
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', { sdkappid: SDKAPPID })).toBe(510)
  })
})
