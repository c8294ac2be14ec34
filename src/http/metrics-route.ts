import type { Context } from 'koa'
import type { Registry } from 'prom-client'
import type { Logger } from '../logging/logger.js'
import { renderMetrics } from '../metrics/render-metrics.js'
import { negotiateExposition } from './metrics-negotiation.js'

/**
 * `GET /metrics`: the Prometheus text format (exactly `text/plain; version=0.0.4; charset=utf-8`), or
 * OpenMetrics 1.0.0 when the scraper's Accept header prefers it (see negotiateExposition),
 * gzip-compressed when Accept-Encoding allows. `beforeScrape` brings time-dependent series up to date
 * (TTL expiry) first. At debug level each scrape logs the Accept header it got and the format it
 * answered, so that an operator (and the end-to-end test) can see what a scraper negotiated.
 */
export function createMetricsHandler(registry: Registry, beforeScrape: () => void, logger: Logger) {
  return async function handleMetrics(ctx: Context): Promise<void> {
    beforeScrape()
    const accept = ctx.get('Accept')
    const format = negotiateExposition(accept)
    const compress = ctx.acceptsEncodings('gzip', 'identity') === 'gzip'
    const rendered = await renderMetrics(registry, format, compress)
    ctx.vary('Accept')
    ctx.vary('Accept-Encoding')
    ctx.set('Cache-Control', 'no-store')
    ctx.status = 200
    // A Buffer: a string would be scanned once by Koa for its length and again when written (about a
    // sixth of a 2,000-API scrape).
    ctx.body = rendered.body
    // Set after the body: Koa would otherwise guess a type from it.
    ctx.set('Content-Type', rendered.contentType)
    if (rendered.contentEncoding) ctx.set('Content-Encoding', rendered.contentEncoding)
    logger.debug(
      { accept, content_type: rendered.contentType, gzip: compress, user_agent: ctx.get('User-Agent') },
      'metrics scraped',
    )
  }
}
