import type { Context, Next } from 'koa'
import type { ExporterMetrics } from '../metrics/exporter-metrics.js'

/** Observes every request's duration by route pattern (never the raw path: unbounded), method and status. */
export function requestDuration(metrics: ExporterMetrics) {
  return async function observeDuration(ctx: Context, next: Next): Promise<void> {
    const start = process.hrtime.bigint()
    try {
      await next()
    } finally {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9
      const route = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute
      metrics.httpRequestDuration.observe(
        {
          route: typeof route === 'string' ? route : 'unmatched',
          method: KNOWN_METHODS.has(ctx.method) ? ctx.method : 'OTHER',
          status: String(ctx.status),
        },
        seconds,
      )
    }
  }
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
