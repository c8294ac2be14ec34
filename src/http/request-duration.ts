import type { Context } from 'koa'
import type { Histogram } from 'prom-client'
import { innerMap } from '../inner-map.js'

type DurationLabels = { route: string; method: string; status: string }

/**
 * Observes a request's duration by route pattern (never the raw path: unbounded), method and status,
 * from the `performance.now()` of its arrival. `everyRequest` (every-request.ts) calls it for every
 * request.
 */
export function createDurationObserver(requestDuration: Histogram<'route' | 'method' | 'status'>) {
  // One label object per (route, method, status), kept, instead of one per request: the routes are the
  // router's patterns and `unmatched`, the methods KNOWN_METHODS and OTHER, the statuses 100-599.
  const labelSets = new Map<string, Map<string, Map<number, DurationLabels>>>()

  function labelsOf(ctx: Context): DurationLabels {
    const matched = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute
    const route = typeof matched === 'string' ? matched : 'unmatched'
    const method = KNOWN_METHODS.has(ctx.method) ? ctx.method : 'OTHER'
    const status = ctx.status
    const statuses = innerMap(innerMap(labelSets, route), method)
    let labels = statuses.get(status)
    if (labels === undefined) {
      labels = { route, method, status: String(status) }
      statuses.set(status, labels)
    }
    return labels
  }

  return function observeDuration(ctx: Context, startMs: number): void {
    requestDuration.observe(labelsOf(ctx), (performance.now() - startMs) / 1000)
  }
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
