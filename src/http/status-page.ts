import type Router from '@koa/router'
import type { Context, Middleware, Next } from 'koa'
import { type PageContext, renderStatusPage } from '../status/render-page.js'
import {
  STATUS_JSON_LIMITS,
  STATUS_JSON_PATH,
  type StatusDocument,
  statusJsonPage,
} from '../status/status-data.js'
import { STATUS_STYLE_HASH } from '../status/style.js'
import { oneAtATime, type TurnTaking } from './one-at-a-time.js'

/**
 * Nothing may load from anywhere (no script, image, font or frame); the one style element is allowed by
 * its hash. The page works the same in an air-gapped cluster.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${STATUS_STYLE_HASH}`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

export interface StatusPageDeps {
  /** The status as of now (reads the exporter's state, changes nothing). */
  collect: () => Promise<StatusDocument>
  /** How the exporter is set up, as of now. */
  context: () => Omit<PageContext, 'refreshSeconds'>
}

const REFRESH_CHOICES = new Set([5, 10, 30, 60])

/**
 * After each render of the page or the JSON, the next waits as long as it took: renders take at most
 * half of the event loop's time however many readers there are, leaving the rest to callbacks. A render
 * at the caps takes a few milliseconds, so a reader alone never notices.
 */
const STATUS_REST_RATIO = 1

function secureHeaders(ctx: Context): void {
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  ctx.set('X-Content-Type-Options', 'nosniff')
  ctx.set('Referrer-Policy', 'no-referrer')
  ctx.set('Cache-Control', 'no-store')
}

/** A whole number in [min, max] from the query, `fallback` when absent; a clear 400 otherwise. */
function queryNumber(ctx: Context, name: string, fallback: number, min: number, max: number): number {
  const given = ctx.query[name]
  if (given === undefined) return fallback
  const value = typeof given === 'string' && /^\d{1,9}$/.test(given) ? Number(given) : Number.NaN
  if (!(value >= min && value <= max)) {
    ctx.throw(400, `${name} must be a whole number from ${min} to ${max}`)
  }
  return value
}

/** Reads `offset` and `limit` before the request waits its turn, so that a bad one is answered at once. */
async function readPage(ctx: Context, next: Next): Promise<void> {
  ctx.state.page = {
    offset: queryNumber(ctx, 'offset', 0, 0, 1_000_000_000),
    limit: queryNumber(ctx, 'limit', STATUS_JSON_LIMITS.default, 1, STATUS_JSON_LIMITS.max),
  }
  await next()
}

/**
 * `GET /` (the status page, HTML) and `GET /api/v1/status` (the same data as JSON, a page of at most
 * 500 entries per list at a time), added to the listener that serves /metrics, behind whatever protects
 * it. Served like /metrics: one render at a time, the others waiting their turn in arrival order (a
 * reader that left meanwhile is not rendered) and each turn followed by a rest as long as it
 * (STATUS_REST_RATIO), the page written in slices with callbacks answered in between, and `boundSend`
 * bounding how long an answer may wait for its reader. Returns the queue, whose state tests read.
 */
export function addStatusRoutes(router: Router, deps: StatusPageDeps, boundSend: Middleware): TurnTaking {
  const inTurn = oneAtATime({ restRatio: STATUS_REST_RATIO })
  router.get('/', boundSend, inTurn, async (ctx) => {
    const refresh = Number(ctx.query.refresh)
    const page = await renderStatusPage(await deps.collect(), {
      ...deps.context(),
      refreshSeconds: REFRESH_CHOICES.has(refresh) ? refresh : undefined,
    })
    secureHeaders(ctx)
    ctx.type = 'text/html; charset=utf-8'
    ctx.body = Buffer.from(page)
  })
  router.get(STATUS_JSON_PATH, boundSend, readPage, inTurn, async (ctx) => {
    const { offset, limit } = ctx.state.page as { offset: number; limit: number }
    const body = JSON.stringify(statusJsonPage(await deps.collect(), offset, limit))
    secureHeaders(ctx)
    ctx.type = 'application/json; charset=utf-8'
    ctx.body = Buffer.from(body)
  })
  return inTurn
}

/**
 * `GET /` on the callback listener when METRICS_PORT is set: the status page shows what Chat sent and
 * what was refused, so it is only where /metrics is; this says where.
 */
export function addStatusPointer(
  router: Router,
  info: { version: string; metricsPort: number | undefined },
): void {
  router.get('/', (ctx) => {
    ctx.set('X-Content-Type-Options', 'nosniff')
    ctx.type = 'text/plain; charset=utf-8'
    ctx.body = `tencent-chat-exporter ${info.version}: this port receives Chat's callbacks; the status page and /metrics are on METRICS_PORT (${info.metricsPort}).\n`
  })
}
