import type Router from '@koa/router'
import type { Context } from 'koa'

/** Whether the process is serving: false before the listeners are up and once shutdown begins. */
export interface Readiness {
  ready: boolean
}

/**
 * Liveness and readiness, on every listener. Readiness depends on nothing but this process: a
 * sidecar's readiness gates its whole Pod, so an outside dependency must never take the app down.
 */
/** Liveness and readiness paths; kubelet calls them without credentials, so they are never protected. */
export const PROBE_PATHS = ['/-/healthy', '/healthz', '/-/ready', '/readyz'] as const

export function addProbeRoutes(router: Router, readiness: Readiness): void {
  const healthy = (ctx: Context) => {
    ctx.type = 'text/plain; charset=utf-8'
    ctx.body = 'OK\n'
  }
  const ready = (ctx: Context) => {
    ctx.type = 'text/plain; charset=utf-8'
    if (readiness.ready) {
      ctx.body = 'Ready\n'
    } else {
      ctx.status = 503
      ctx.body = 'Not ready\n'
    }
  }
  router.get('/-/healthy', healthy)
  router.get('/healthz', healthy)
  router.get('/-/ready', ready)
  router.get('/readyz', ready)
}
