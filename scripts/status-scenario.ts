/**
 * An exporter that has been told things, for the status page's browser test and its screenshot: the
 * real exporter on a loopback port, with a clock of its own so that twenty minutes of callbacks take a
 * second. Signed alarms (some over their limit, one long expired), group quota alarms, other
 * callbacks, and rejections of each kind a set-up goes through, one of them quoting markup.
 */
import type { Server } from 'node:http'
import { Writable } from 'node:stream'
import { Registry } from 'prom-client'
import { createExporter } from '../src/app.js'
import { computeSign } from '../src/auth/signature.js'
import { manualClock } from '../src/clock.js'
import { defaultConfig } from '../src/config/config.js'
import { createLogger } from '../src/logging/logger.js'
import { closeGracefully, listen, portOf } from '../src/server.js'

export const SCENARIO = {
  token: 'status-page-token',
  apps: ['1400000001', '1400000002'],
  /** A ServiceName that is markup: its rejection detail must show as text. */
  markup: '<img src=x onerror=alert(1)><b>bold</b>',
  apis: [
    { service: 'openim', command: 'batchsendmsg', request: 510, limit: 200, minutesAgo: 0.2 },
    { service: 'group_open_http_svc', command: 'send_group_msg', request: 96, limit: 100, minutesAgo: 0.5 },
    { service: 'openim', command: 'sendmsg', request: 170, limit: 200, minutesAgo: 1 },
    { service: 'profile', command: 'portrait_get', request: 82, limit: 100, minutesAgo: 2 },
    { service: 'openim', command: 'querystate', request: 164, limit: 200, minutesAgo: 3.5 },
    { service: 'group_open_http_svc', command: 'get_group_info', request: 240, limit: 200, minutesAgo: 14 },
  ],
  groupQuota: [
    { app: '1400000001', used: 7321, quota: 10000, minutesAgo: 4 },
    { app: '1400000002', used: 10480, quota: 10000, minutesAgo: 0.8 },
  ],
  others: [
    'State.StateChange',
    'C2C.CallbackAfterSendMsg',
    'C2C.CallbackBeforeSendMsg',
    'Group.CallbackAfterNewMemberJoin',
  ],
} as const

export interface RunningScenario {
  url: string
  close(): Promise<void>
}

/** Starts the exporter, tells it the scenario over HTTP, and leaves its clock at the real time. */
export async function startStatusScenario(): Promise<RunningScenario> {
  const realNow = Date.now()
  const clock = manualClock(realNow - 20 * 60_000)
  const exporter = createExporter({
    config: defaultConfig({
      host: '127.0.0.1',
      port: 0,
      callbackToken: SCENARIO.token,
      sdkAppIds: new Set(SCENARIO.apps),
      logLevel: 'silent',
    }),
    registry: new Registry(),
    logger: createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() })),
    clock,
  })
  const server: Server = await listen(exporter.app, 0, '127.0.0.1')
  exporter.readiness.ready = true
  const url = `http://127.0.0.1:${portOf(server)}`

  const at = (minutesAgo: number) => clock.set(realNow - minutesAgo * 60_000)
  const post = async (
    command: string,
    body: Record<string, unknown>,
    options: { app?: string; token?: string; skewSeconds?: number } = {},
  ) => {
    const requestTime = Math.floor(clock.now() / 1000) + (options.skewSeconds ?? 0)
    const query = new URLSearchParams({
      SdkAppid: options.app ?? (SCENARIO.apps[0] as string),
      CallbackCommand: command,
      contenttype: 'json',
      OptPlatform: 'RESTAPI',
      RequestTime: String(requestTime),
      Sign: computeSign(options.token ?? SCENARIO.token, requestTime),
    })
    const answer = await fetch(`${url}/callback?${query}`, {
      method: 'POST',
      body: JSON.stringify({ CallbackCommand: command, ...body }),
    })
    await answer.arrayBuffer()
    return answer.status
  }
  const alarm = (api: (typeof SCENARIO.apis)[number], app?: string) =>
    post(
      'Alert.RequestOverLimit',
      { ServiceName: api.service, Command: api.command, Request: api.request, Limit: api.limit },
      { app },
    )

  // Setting up: the token was pasted wrong first, then the clock was off, then both were right.
  at(19)
  await post('State.StateChange', {}, { token: 'a-token-with-a-typo' })
  at(16)
  await post('State.StateChange', {}, { skewSeconds: -300 })
  // Twenty minutes of ordinary callbacks, and the alarms at their times, oldest first.
  const events: Array<{ minutesAgo: number; send: () => Promise<number> }> = []
  for (let i = 0; i < 60; i += 1) {
    const command = SCENARIO.others[i % SCENARIO.others.length] as string
    events.push({ minutesAgo: 15 - i * 0.24, send: () => post(command, {}) })
  }
  for (const api of SCENARIO.apis) {
    // A few alerts each, the last at its time.
    for (let repeat = 3; repeat >= 0; repeat -= 1) {
      events.push({ minutesAgo: api.minutesAgo + repeat * 0.5, send: () => alarm(api) })
    }
  }
  for (const quota of SCENARIO.groupQuota) {
    events.push({
      minutesAgo: quota.minutesAgo,
      send: () =>
        post(
          'Group.CallbackOnDailyGroupQuotaAlarm',
          { QuotaUsed: quota.used, Quota: quota.quota, EventTime: clock.now() },
          { app: quota.app },
        ),
    })
  }
  events.push({
    minutesAgo: 2.5,
    send: () =>
      post('Alert.RequestOverLimit', {
        ServiceName: SCENARIO.markup,
        Command: 'sendmsg',
        Request: 1,
        Limit: 2,
      }),
  })
  events.push({ minutesAgo: 1.5, send: () => post('State.StateChange', {}, { app: '1400000999' }) })
  events.sort((a, b) => b.minutesAgo - a.minutesAgo)
  for (const event of events) {
    at(event.minutesAgo)
    await event.send()
  }
  at(0)
  return {
    url,
    close: async () => {
      await closeGracefully([server], 2000)
      exporter.close()
    },
  }
}
