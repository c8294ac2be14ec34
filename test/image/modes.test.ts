import { chmodSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue, TOKEN } from '../helpers/callbacks.js'
import { makePki, type Pki } from '../security/support/pki.js'
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
const METER_PORT = 10241
const CHAT_PORT = 8443

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

/** A stand-in for Chat's REST endpoint, run by the image's own node over HTTPS with a test certificate. */
const STAND_IN_CHAT = `
const https = require('node:https')
const fs = require('node:fs')
https.createServer({ key: fs.readFileSync('/pki/server.key'), cert: fs.readFileSync('/pki/server.crt') }, (req, res) => {
  let body = ''
  req.on('data', (chunk) => { body += chunk })
  req.on('end', () => {
    console.log(JSON.stringify({ msg: 'chat received', url: req.url, body }))
    res.setHeader('content-type', 'application/json')
    res.end('{"ActionStatus":"FAIL","ErrorInfo":"over the limit","ErrorCode":60007}')
  })
}).listen(${CHAT_PORT}, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'chat listening' })))
`

describe('the REST meter, between the app and Chat', () => {
  let app: Container
  let chat: Container
  let pki: Pki
  const query =
    'sdkappid=1400000001&identifier=admin&usersig=image-test-usersig-0123456789&random=7&contenttype=json'

  beforeAll(async () => {
    pki = makePki()
    chmodSync(pki.dir, 0o755)
    for (const file of [pki.server.key, pki.server.cert, pki.ca.cert]) chmodSync(file, 0o644)
    app = await startApp()
    chat = await containers.start({
      command: ['node', '-e', STAND_IN_CHAT],
      ports: [],
      flags: [...HARDENED, '--network', `container:${app.id}`],
      mounts: [{ source: pki.dir, target: '/pki' }],
      ready: (entry) => entry.msg === 'chat listening',
    })
    await containers.start({
      env: {
        SDKAPPIDS: '1400000001',
        CALLBACK_TOKEN: TOKEN,
        EGRESS_PORT: String(METER_PORT),
        CHAT_REST_URL: `https://127.0.0.1:${CHAT_PORT}`,
        CHAT_REST_CA_FILE: '/pki/ca.crt',
      },
      ports: [],
      flags: [...HARDENED, '--network', `container:${app.id}`],
      mounts: [{ source: pki.dir, target: '/pki' }],
    })
  }, 180_000)

  afterAll(() => pki?.remove())

  it("forwards the app's REST call to Chat over HTTPS and passes Chat's answer back unchanged", async () => {
    // The app's own call, from inside the Pod: the meter listens on its loopback only.
    const call = await app.exec([
      'node',
      '-e',
      `fetch('http://127.0.0.1:${METER_PORT}/v4/openim/sendmsg?${query}', { method: 'POST', body: '{"To_Account":"b"}' })
        .then(async (r) => console.log(r.status, await r.text()))`,
    ])
    expect(call.stdout.trim()).toBe(
      '200 {"ActionStatus":"FAIL","ErrorInfo":"over the limit","ErrorCode":60007}',
    )
    const received = await chat.waitForLog((entry) => entry.msg === 'chat received', 'the call at Chat')
    expect(received).toMatchObject({ url: `/v4/openim/sendmsg?${query}`, body: '{"To_Account":"b"}' })
    const metrics = await (await fetch(app.url('/metrics'))).text()
    expect(
      sampleValue(metrics, 'tencent_chat_rest_requests_total', {
        sdkappid: '1400000001',
        service_name: 'openim',
        command: 'sendmsg',
        action_status: 'FAIL',
        error_code: '60007',
      }),
    ).toBe(1)
    expect(metrics).not.toContain('image-test-usersig')
  })
})
