import type Router from '@koa/router'
import type { Context, Middleware } from 'koa'
import { type PageContext, renderStatusPage } from '../status/render-page.js'
import { STATUS_JSON_PATH, type StatusDocument } from '../status/status-data.js'
import { STATUS_STYLE_HASH } from '../status/style.js'

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
  collect: () => StatusDocument
  /** How the exporter is set up, as of now. */
  context: () => Omit<PageContext, 'refreshSeconds'>
}

const REFRESH_CHOICES = new Set([5, 10, 30, 60])

function secureHeaders(ctx: Context): void {
  ctx.set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
  ctx.set('X-Content-Type-Options', 'nosniff')
  ctx.set('Referrer-Policy', 'no-referrer')
  ctx.set('Cache-Control', 'no-store')
}

/**
 * `GET /` (the status page, HTML) and `GET /api/v1/status` (the same data as JSON), added to the
 * listener that serves /metrics, behind whatever protects it. `boundSend` bounds how long an answer
 * may wait for its reader, as for /metrics.
 */
export function addStatusRoutes(router: Router, deps: StatusPageDeps, boundSend: Middleware): void {
  router.get('/', boundSend, (ctx) => {
    const refresh = Number(ctx.query.refresh)
    const page = renderStatusPage(deps.collect(), {
      ...deps.context(),
      refreshSeconds: REFRESH_CHOICES.has(refresh) ? refresh : undefined,
    })
    secureHeaders(ctx)
    ctx.type = 'text/html; charset=utf-8'
    ctx.body = page
  })
  router.get(STATUS_JSON_PATH, boundSend, (ctx) => {
    const body = JSON.stringify(deps.collect())
    secureHeaders(ctx)
    ctx.type = 'application/json; charset=utf-8'
    ctx.body = body
  })
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
