import type { Context, Next } from 'koa'
import type { Clock } from '../clock.js'
import { createLogThrottle } from '../logging/log-throttle.js'
import type { Logger } from '../logging/logger.js'
import { createBasicAuth } from './basic-auth.js'
import { createRateLimiter } from './rate-limit.js'
import type { WebConfig } from './web-config-file.js'

export interface WebConfigScope {
  /** Paths served without basic auth or rate limit: the callback path and the probes. */
  openPaths: ReadonlySet<string>
}

/**
 * The web configuration's HTTP part, for the listener that serves `/metrics`: its extra headers on
 * every answer, then for every path but the open ones (the callback path, which Chat authenticates
 * with its Sign, and the probes, which kubelet calls without credentials) the rate limit and basic
 * auth. New pages are protected without a change here. A refusal never says what was wrong.
 */
export function webConfigMiddleware(
  webConfig: WebConfig,
  scope: WebConfigScope,
  deps: { logger: Logger; clock: Clock },
) {
  const headers = [...webConfig.headers]
  const auth = webConfig.users.size > 0 ? createBasicAuth(webConfig.users) : undefined
  const limiter = webConfig.rateLimit && createRateLimiter(webConfig.rateLimit, () => deps.clock.now())
  const refusals = createLogThrottle({ windowMs: 60_000, burst: 10 })

  const logRefusal = (ctx: Context, reason: string, level: 'warn' | 'debug' = 'warn') => {
    const { log, suppressed } = refusals.take(reason, deps.clock.now())
    if (!log) return
    deps.logger[level](
      {
        reason,
        method: ctx.method,
        path: ctx.path,
        remote_address: ctx.request.ip,
        ...(suppressed > 0 && { suppressed_since_last_window: suppressed }),
      },
      'request refused by WEB_CONFIG_FILE',
    )
  }

  return async function applyWebConfig(ctx: Context, next: Next): Promise<void> {
    for (const [name, value] of headers) ctx.set(name, value)
    if (scope.openPaths.has(ctx.path)) return next()
    if (limiter && !limiter.allow()) {
      ctx.status = 429
      ctx.type = 'text/plain; charset=utf-8'
      ctx.body = 'Too Many Requests\n'
      return
    }
    if (auth) {
      const result = await auth.check(ctx.get('Authorization') || undefined, ctx.request.ip)
      if (result === 'busy') {
        logRefusal(ctx, 'too many basic auth checks waiting')
        ctx.status = 429
        ctx.set('Retry-After', '1')
        ctx.type = 'text/plain; charset=utf-8'
        ctx.body = 'Too Many Requests\n'
        return
      }
      if (result === 'denied') {
        logRefusal(
          ctx,
          ctx.get('Authorization') ? 'wrong basic auth credentials' : 'no basic auth credentials',
        )
        ctx.status = 401
        ctx.set('WWW-Authenticate', 'Basic')
        ctx.type = 'text/plain; charset=utf-8'
        ctx.body = 'Unauthorized\n'
        return
      }
    }
    return next()
  }
}
