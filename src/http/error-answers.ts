import type { Context, Next } from 'koa'
import type { Logger } from '../logging/logger.js'
import { failAnswer } from '../protocol/answers.js'
import { redactSecrets } from '../protocol/label-value.js'

/**
 * Gives every non-callback error the same JSON shape as a rejected callback: unknown paths 404,
 * wrong methods 405 (with Allow), and anything unexpected 500 (logged; never caused by client input).
 */
export function errorAnswers(logger: Logger) {
  return async function answerErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next()
    } catch (error) {
      const status = (error as { status?: number }).status
      if (typeof status === 'number' && status >= 400 && status < 500) {
        ctx.status = status
        ctx.body = failAnswer(status, `bad_request: ${redactSecrets((error as Error).message)}`)
        return
      }
      logger.error({ err: error, method: ctx.method, path: redactSecrets(ctx.path) }, 'request failed')
      ctx.status = 500
      ctx.body = failAnswer(500, 'internal_error: the exporter failed to handle the request')
      return
    }
    if (ctx.status === 404 && ctx.body == null) {
      ctx.status = 404
      // A client that put its query into the path (`/callback;Sign=…`) must not see it repeated.
      ctx.body = failAnswer(404, `not_found: no route for ${ctx.method} ${redactSecrets(ctx.path)}`)
    } else if ((ctx.status === 405 || ctx.status === 501) && ctx.body == null) {
      const allow = ctx.response.get('Allow')
      ctx.status = 405
      ctx.body = failAnswer(
        405,
        `method_not_allowed: ${ctx.method} is not allowed on ${redactSecrets(ctx.path)}; use ${allow}`,
      )
    }
  }
}
