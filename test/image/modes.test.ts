import { beforeAll, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue, TOKEN } from '../helpers/callbacks.js'
import { type Container, containersOfThisFile, EXPORTER_PORT, HARDENED, type LogEntry } from './container.js'
import { requireImage } from './podman.js'

// The image in each of the exporter's modes, started as a Pod would run it: the exporter's container
// shares the network namespace of the Pod's first container, here the app (ports are the Pod's, and
// the app is on 127.0.0.1). A mode's test starts its containers in a beforeAll and asks them.

const containers = containersOfThisFile()
beforeAll(() => requireImage(), 60_000)

/** The answer of the stand-in app: ErrorCode 1 tells it from the exporter's own OK. */
const APP_ANSWER = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 1 }
const APP_PORT = 8080

/** The stand-in app, run by the image's own node: logs each callback it gets and answers APP_ANSWER. */
const STAND_IN_APP = `
const http = require('node:http')
http.createServer((req, res) => {
  let body = ''
  req.setEncoding('utf8')
  req.on('data', (chunk) => { body += chunk })
  req.on('end', () => {
    console.log(JSON.stringify({ msg: 'app received', url: req.url, body }))
    res.setHeader('content-type', 'application/json')
    res.end(${JSON.stringify(JSON.stringify(APP_ANSWER))})
  })
}).listen(${APP_PORT}, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'app listening' })))
`

/** The app's container, publishing the exporter's port for the Pod. */
function startApp(): Promise<Container> {
  return containers.start({
    command: ['node', '-e', STAND_IN_APP],
    ports: [EXPORTER_PORT],
    ready: (entry) => entry.msg === 'app listening',
  })
}

/** The exporter's container in the app's network namespace (its ports are published by the app's). */
function startExporterBeside(app: Container, env: Record<string, string>): Promise<Container> {
  return containers.start({
    env,
    ports: [],
    flags: [...HARDENED, '--network', `container:${app.id}`],
  })
}

describe('front-proxy mode, the exporter in front of the app', () => {
  let app: Container
  const received = (body: string) => (entry: LogEntry) => entry.msg === 'app received' && entry.body === body

  beforeAll(async () => {
    app = await startApp()
    await startExporterBeside(app, {
      SDKAPPIDS: SDKAPPID,
      CALLBACK_TOKEN: TOKEN,
      UPSTREAM_URL: `http://127.0.0.1:${APP_PORT}/im/callback`,
    })
  }, 120_000)

  it('answers the probes', async () => {
    for (const path of ['/-/healthy', '/-/ready']) expect((await fetch(app.url(path))).status, path).toBe(200)
  })

  it("forwards the app's callbacks to it and answers with the app's answer", async () => {
    const body = JSON.stringify({
      CallbackCommand: 'C2C.CallbackBeforeSendMsg',
      From_Account: 'a',
      To_Account: 'b',
    })
    const answer = await postCallback(
      callbackUrl(app.url(''), { token: TOKEN, command: 'C2C.CallbackBeforeSendMsg' }),
      body,
    )
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.text)).toEqual(APP_ANSWER)
    const forwarded = await app.waitForLog(received(body), 'the forwarded callback')
    expect(String(forwarded.url)).toMatch(/^\/im\/callback\?/)
  })

  it('counts an alarm and forwards it too', async () => {
    const body = alertBody({ Command: 'sendmsg', Request: 240 })
    const answer = await postCallback(callbackUrl(app.url(''), { token: TOKEN }), body)
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.text)).toEqual(APP_ANSWER)
    await app.waitForLog(received(body), 'the forwarded alarm')
    const metrics = await (await fetch(app.url('/metrics'))).text()
    expect(
      sampleValue(metrics, 'tencent_chat_api_requests_per_second', {
        sdkappid: SDKAPPID,
        command: 'sendmsg',
      }),
    ).toBe(240)
  })

  it('refuses an unsigned callback itself', async () => {
    const answer = await postCallback(callbackUrl(app.url('')), alertBody())
    expect(answer.status).toBe(401)
    expect(JSON.parse(answer.text)).not.toEqual(APP_ANSWER)
  })
})
