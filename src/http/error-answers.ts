import type { Context } from 'koa'
import type { Logger } from '../logging/logger.js'
import { failAnswer } from '../protocol/answers.js'
import { redactSecrets } from '../protocol/label-value.js'

/**
 * Gives a non-callback error the same JSON shape as a rejected callback: anything thrown by a later
 * middleware is 4xx with its message if it says so, else 500 (logged; never caused by client input).
 * `everyRequest` (every-request.ts) calls it for whatever the rest of the chain threw.
 */
export function answerError(ctx: Context, error: unknown, logger: Logger): void {
  const status = (error as { status?: number }).status
  if (typeof status === 'number' && status >= 400 && status < 500) {
    ctx.status = status
    ctx.body = failAnswer(status, `bad_request: ${redactSecrets((error as Error).message)}`)
    return
  }
  logger.error({ err: error, method: ctx.method, path: redactSecrets(ctx.path) }, 'request failed')
  ctx.status = 500
  ctx.body = failAnswer(500, 'internal_error: the exporter failed to handle the request')
}

/**
 * Answers what no route answered: unknown paths 404, wrong methods 405 (with Allow), in the same JSON
 * shape. Called by `everyRequest` after the rest of the chain returned.
 */
export function answerUnrouted(ctx: Context): void {
  if (ctx.body != null) return
  if (ctx.status === 404) {
    ctx.status = 404
    // A client that put its query into the path (`/callback;Sign=…`) must not see it repeated.
    ctx.body = failAnswer(404, `not_found: no route for ${ctx.method} ${redactSecrets(ctx.path)}`)
  } else if (ctx.status === 405 || ctx.status === 501) {
    const allow = ctx.response.get('Allow')
    ctx.status = 405
    ctx.body = failAnswer(
      405,
      `method_not_allowed: ${ctx.method} is not allowed on ${redactSecrets(ctx.path)}; use ${allow}`,
    )
  }
}
