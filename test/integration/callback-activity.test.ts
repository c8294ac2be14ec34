import type { Server } from 'node:http'
import { Writable } from 'node:stream'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, it } from 'vitest'
import { createExporter } from '../../src/app.js'
import { manualClock } from '../../src/clock.js'
import { defaultConfig } from '../../src/config/config.js'
import { createLogger } from '../../src/logging/logger.js'
import { closeGracefully, listen, portOf } from '../../src/server.js'
import { alertBody, callbackUrl, postCallback, SDKAPPID, TOKEN } from '../helpers/callbacks.js'

let server: Server | undefined
afterEach(async () => {
  if (server) await closeGracefully([server], 2000)
  server = undefined
})

describe('the activity hook of the callback handler', () => {
  it('is told of each accepted and rejected callback, with the clock of the handler', async () => {
    const clock = manualClock(Math.floor(Date.now() / 1000) * 1000)
    const events: unknown[] = []
    const exporter = createExporter({
      config: defaultConfig({ callbackToken: TOKEN }),
      registry: new Registry(),
      logger: createLogger('silent', new Writable({ write: (_c, _e, done) => done() })),
      clock,
      defaultMetrics: false,
      activity: {
        accepted: (command, sdkAppId, nowMs) => events.push(['accepted', command, sdkAppId, nowMs]),
        rejected: (reason, detail, nowMs) => events.push(['rejected', reason, detail, nowMs]),
      },
    })
    server = await listen(exporter.app, 0, '127.0.0.1')
    const base = `http://127.0.0.1:${portOf(server)}`
    const ok = await postCallback(
      callbackUrl(base, { token: TOKEN, requestTime: clock.now() / 1000 }),
      alertBody(),
    )
    expect(ok.status).toBe(200)
    const bad = await postCallback(callbackUrl(base, { token: TOKEN, requestTime: clock.now() / 1000 }), '{')
    expect(bad.status).toBe(400)
    await postCallback(callbackUrl(base), alertBody())
    expect(events).toEqual([
      ['accepted', 'Alert.RequestOverLimit', SDKAPPID, clock.now()],
      ['rejected', 'malformed_json', expect.stringContaining('JSON'), clock.now()],
      ['rejected', 'missing_signature', 'query parameter Sign is missing', clock.now()],
    ])
    // The series the accepted alert created are readable beside it.
    expect([...exporter.series.api.entries(clock.now())]).toMatchObject([
      { command: 'batchsendmsg', alerts: 1 },
    ])
  })
})
