import type { Context, Next } from 'koa'
import type { Histogram } from 'prom-client'
import type { Logger } from '../logging/logger.js'
import { answerError, answerUnrouted } from './error-answers.js'
import { createDurationObserver } from './request-duration.js'

/**
 * The one middleware in front of every request: errors and unrouted requests get the JSON shape of a
 * rejected callback (error-answers.ts), then the request's duration is observed with the status it was
 * answered with (request-duration.ts). One async frame for both: each middleware costs every callback a
 * promise and a dispatch.
 */
export function everyRequest(requestDuration: Histogram<'route' | 'method' | 'status'>, logger: Logger) {
  const observeDuration = createDurationObserver(requestDuration)
  return async function aroundRequest(ctx: Context, next: Next): Promise<void> {
    const startMs = performance.now()
    try {
      try {
        await next()
      } catch (error) {
        answerError(ctx, error, logger)
        return
      }
      answerUnrouted(ctx)
    } finally {
      observeDuration(ctx, startMs)
    }
  }
}
