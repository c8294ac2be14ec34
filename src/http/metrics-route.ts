import type { Context } from 'koa'
import type { Registry } from 'prom-client'
import { type ExpositionFormat, renderMetrics } from '../metrics/render-metrics.js'

/**
 * `GET /metrics`: the Prometheus text format (exactly `text/plain; version=0.0.4; charset=utf-8`), or
 * OpenMetrics when the scraper's Accept header prefers it, gzip-compressed when Accept-Encoding allows.
 * `beforeScrape` brings time-dependent series up to date (TTL expiry) first.
 */
export function createMetricsHandler(registry: Registry, beforeScrape: () => void) {
  return async function handleMetrics(ctx: Context): Promise<void> {
    beforeScrape()
    // The text format is listed first, so `*/*` and a missing Accept header get it.
    const format: ExpositionFormat =
      ctx.accepts('text/plain', 'application/openmetrics-text') === 'application/openmetrics-text'
        ? 'openmetrics'
        : 'text'
    const compress = ctx.acceptsEncodings('gzip', 'identity') === 'gzip'
    const rendered = await renderMetrics(registry, format, compress)
    ctx.vary('Accept')
    ctx.vary('Accept-Encoding')
    ctx.set('Cache-Control', 'no-store')
    ctx.status = 200
    ctx.body = rendered.body
    // Set after the body: Koa would otherwise guess a type from it.
    ctx.set('Content-Type', rendered.contentType)
    if (rendered.contentEncoding) ctx.set('Content-Encoding', rendered.contentEncoding)
  }
}
