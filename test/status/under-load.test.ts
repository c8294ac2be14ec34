import type { Server } from 'node:http'
import Router from '@koa/router'
import Koa from 'koa'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sendDeadline } from '../../src/http/send-deadline.js'
import { addStatusRoutes } from '../../src/http/status-page.js'
import { createLogger } from '../../src/logging/logger.js'
import { listen, portOf } from '../../src/server.js'
import { createActivityRecorder } from '../../src/status/activity.js'
import {
  PAGE_ROWS,
  type PageContext,
  ROWS_PER_SLICE,
  renderStatusPage,
} from '../../src/status/render-page.js'
import { collectStatus, type StatusDocument } from '../../src/status/status-data.js'
import { until } from '../hardening/support/server-side.js'
import { alertBody, callbackUrl, postCallback, SDKAPPID } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

// The status page and its JSON at the caps, by structure: bounded answers, one render at a time with
// the others waiting their turn, and the page written in slices with turns of the event loop between
// them. What this buys callbacks under a flood of readers is measured by the bench (BENCHMARKS.md).

const quietLogger = createLogger('silent')

function context(): Omit<PageContext, 'refreshSeconds'> {
  return {
    nowMs: Date.now(),
    callbackPath: '/callback',
    callbackPort: 0,
    servesCallbacks: true,
    metricsPath: '/metrics',
    authentication: undefined,
    sdkAppIds: undefined,
    alertTtlSeconds: 300,
    maxSeries: 2000,
    upstream: undefined,
  }
}

/** A status document with `count` APIs, group-quota apps and callback commands. */
function bigDocument(count: number): StatusDocument {
  const nowSeconds = Date.now() / 1000
  return {
    version: 'test',
    start_time_seconds: nowSeconds - 60,
    mode: 'alarms_only',
    rest_meter: { enabled: false },
    rest_apis: [],
    apis: Array.from({ length: count }, (_, i) => ({
      sdkappid: SDKAPPID,
      service_name: 'openim',
      command: `command${i}`,
      requests_per_second: 180,
      request_limit_per_second: 200,
      utilization_ratio: 0.9,
      alerts_total: 1,
      last_alert_timestamp_seconds: nowSeconds,
      live: true,
    })),
    group_quota: Array.from({ length: count }, (_, i) => ({
      sdkappid: String(1_500_000_000 + i),
      daily_net_increase: 7000,
      daily_quota: 10000,
      utilization_ratio: 0.7,
      alerts_total: 1,
      last_alert_timestamp_seconds: nowSeconds,
      live: true,
    })),
    callbacks: Array.from({ length: count }, (_, i) => ({
      callback_command: `Custom.Command${i}`,
      accepted_total: 1,
      last_received_timestamp_seconds: nowSeconds,
    })),
    rejections: [],
  }
}

/** Counts the turns of the event loop while `work` runs. */
async function turnsDuring<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0
  let running = true
  const tick = () => {
    turns += 1
    if (running) setImmediate(tick)
  }
  setImmediate(tick)
  const result = await work()
  running = false
  return { result, turns }
}

describe('the page written in slices', () => {
  it('renders at most PAGE_ROWS rows of each table, ROWS_PER_SLICE per turn of the event loop', async () => {
    const { result: page, turns } = await turnsDuring(() =>
      renderStatusPage(bigDocument(2000), { ...context(), refreshSeconds: undefined }),
    )
    expect(page.match(/<tr class="live">/g)).toHaveLength(2 * PAGE_ROWS)
    expect(page.match(/<tr><td class="mono">Custom\.Command/g)).toHaveLength(PAGE_ROWS)
    expect(page).toContain('and 1,900 more APIs')
    expect(page).toContain('and 1,900 more apps')
    expect(page).toContain('and 1,900 more commands')
    // Three tables of PAGE_ROWS rows, each in PAGE_ROWS / ROWS_PER_SLICE slices, and a turn after each.
    expect(turns).toBeGreaterThanOrEqual((3 * PAGE_ROWS) / ROWS_PER_SLICE)
    // The same page size whatever the number of entries past the first hundred.
    const smaller = await renderStatusPage(bigDocument(200), { ...context(), refreshSeconds: undefined })
    expect(Math.abs(page.length - smaller.length)).toBeLessThan(100)
  })

  it('collects each list in a turn of its own', async () => {
    const activity = createActivityRecorder({ maxCommands: 10 })
    const { turns } = await turnsDuring(() =>
      collectStatus(
        { version: 't', startedMs: 0, frontProxy: false, apis: () => [], groupQuota: () => [], activity },
        Date.now(),
      ),
    )
    expect(turns).toBeGreaterThanOrEqual(2)
  })
})

describe('one render at a time', () => {
  let server: Server | undefined
  afterEach(async () => {
    server?.closeAllConnections()
    server?.close()
    server = undefined
  })

  it('lets the other readers wait their turn, in order, the page and the JSON alike', async () => {
    let collecting = 0
    let mostAtOnce = 0
    const releases: Array<() => void> = []
    const router = new Router()
    const queue = addStatusRoutes(
      router,
      {
        collect: async () => {
          collecting += 1
          mostAtOnce = Math.max(mostAtOnce, collecting)
          await new Promise<void>((resolve) => releases.push(resolve))
          collecting -= 1
          return bigDocument(300)
        },
        context,
      },
      sendDeadline(quietLogger),
    )
    const app = new Koa()
    app.use(router.routes())
    server = await listen(app, 0, '127.0.0.1')
    const base = `http://127.0.0.1:${portOf(server)}`
    const paths = ['/', '/api/v1/status', '/', '/api/v1/status?offset=100', '/']
    const answers = paths.map((path) => fetch(`${base}${path}`).then(async (a) => [a.status, await a.text()]))
    await until(() => queue.busy && queue.waiting === paths.length - 1, 'one render, the rest waiting')
    expect(releases).toHaveLength(1)
    for (let served = 0; served < paths.length; served += 1) {
      await until(() => releases.length === served + 1, `render ${served + 1} started`)
      expect(queue.waiting).toBe(paths.length - served - 1)
      releases[served]?.()
    }
    const done = await Promise.all(answers)
    expect(done.map(([status]) => status)).toEqual([200, 200, 200, 200, 200])
    expect(mostAtOnce).toBe(1)
    expect(queue.waiting).toBe(0)
    expect(queue.busy).toBe(false)
    const json = JSON.parse(done[3]?.[1] as string) as { offset: number; apis: unknown[] }
    expect(json.offset).toBe(100)
    expect(json.apis).toHaveLength(100)
  })
})

describe('at the caps', () => {
  const CAP = 300
  let exporter: TestExporter
  beforeAll(async () => {
    exporter = await startExporter({ config: { maxSeries: CAP, alertTtlSeconds: 3600, logLevel: 'warn' } })
    const quota = 'Group.CallbackOnDailyGroupQuotaAlarm'
    for (let next = 0; next < CAP; next += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, k) => next + k).flatMap((i) => [
          postCallback(callbackUrl(exporter.url), alertBody({ Command: `command${i}` })),
          postCallback(
            callbackUrl(exporter.url, { sdkAppId: String(1_500_000_000 + i), command: quota }),
            JSON.stringify({ CallbackCommand: quota, QuotaUsed: 7000 + i, Quota: 10000 }),
          ),
          postCallback(callbackUrl(exporter.url, { command: `Custom.Command${i}` }), '{}'),
        ]),
      )
    }
  })
  afterAll(() => exporter.close())

  it('shows the first 100 rows of every table, and says how many more', async () => {
    const html = await (await fetch(`${exporter.url}/`)).text()
    expect(html.match(/<tr class="(live|expired)">/g)).toHaveLength(2 * PAGE_ROWS)
    expect(html.match(/<tr><td class="mono">/g)).toHaveLength(PAGE_ROWS)
    expect(html).toContain(`and ${CAP - PAGE_ROWS} more APIs`)
    expect(html).toContain(`and ${CAP - PAGE_ROWS} more apps`)
    // The commands: CAP of them, plus the alarms' own two, past the cap under _other.
    expect(html).toMatch(/and \d+ more commands/)
  })

  it('answers the JSON a page at a time, at most 500 entries per list', async () => {
    const get = async (query: string) => {
      const answer = await fetch(`${exporter.url}/api/v1/status${query}`)
      return { status: answer.status, json: (await answer.json()) as Record<string, unknown> }
    }
    const first = await get('')
    expect(first.json).toMatchObject({ offset: 0, limit: 100 })
    const totals = first.json.totals as { apis: number; group_quota: number; callbacks: number }
    expect(totals.apis).toBe(CAP)
    expect(totals.group_quota).toBe(CAP)
    expect(totals.callbacks).toBeGreaterThanOrEqual(CAP)
    for (const list of ['apis', 'group_quota', 'callbacks']) expect(first.json[list]).toHaveLength(100)
    const pages = await Promise.all([0, 100, 200].map((offset) => get(`?offset=${offset}`)))
    const all = await get('?limit=500')
    expect(pages.flatMap((p) => p.json.apis as unknown[])).toEqual(all.json.apis)
    for (const query of ['?limit=501', '?limit=0', '?offset=-1', '?offset=abc', '?limit=1e2']) {
      const answer = await get(query)
      expect(answer.status, query).toBe(400)
      expect(String(answer.json.ErrorInfo), query).toMatch(/(limit|offset) must be a whole number from/)
    }
  })
})
