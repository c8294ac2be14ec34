import type { Context } from 'koa'
import type { Registry } from 'prom-client'
import { type ExpositionFormat, renderMetrics } from '../metrics/render-metrics.js'

// The offers carry the versions we render: an Accept entry with a `version` parameter only matches an
// offer with the same version (Prometheus asks for openmetrics-text;version=1.0.0 first). The text
// format is offered first, so `*/*` and a missing Accept header get it.
const TEXT_OFFER = 'text/plain; version=0.0.4'
const OPENMETRICS_OFFER = 'application/openmetrics-text; version=1.0.0'

/**
 * `GET /metrics`: the Prometheus text format (exactly `text/plain; version=0.0.4; charset=utf-8`), or
 * OpenMetrics when the scraper's Accept header prefers it, gzip-compressed when Accept-Encoding allows.
 * `beforeScrape` brings time-dependent series up to date (TTL expiry) first.
 */
export function createMetricsHandler(registry: Registry, beforeScrape: () => void) {
  return async function handleMetrics(ctx: Context): Promise<void> {
    beforeScrape()
    const format: ExpositionFormat =
      ctx.accepts(TEXT_OFFER, OPENMETRICS_OFFER) === OPENMETRICS_OFFER ? 'openmetrics' : 'text'
    const compress = ctx.acceptsEncodings('gzip', 'identity') === 'gzip'
    const rendered = await renderMetrics(registry, format, compress)
    ctx.vary('Accept')
    ctx.vary('Accept-Encoding')
    ctx.set('Cache-Control', 'no-store')
    ctx.status = 200
    // A Buffer is encoded once; a string would be scanned once by Koa for its length and again when
    // written (about a sixth of a 2,000-API scrape).
    ctx.body = typeof rendered.body === 'string' ? Buffer.from(rendered.body) : rendered.body
    // Set after the body: Koa would otherwise guess a type from it.
    ctx.set('Content-Type', rendered.contentType)
    if (rendered.contentEncoding) ctx.set('Content-Encoding', rendered.contentEncoding)
  }
}
