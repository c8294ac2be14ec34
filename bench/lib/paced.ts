import { setTimeout as delay } from 'node:timers/promises'
import { Pool } from 'undici'
import type { PreparedRequest } from './callbacks.js'
import { quantile } from './stats.js'

export interface PacedOptions {
  /** Origin of the server, e.g. http://127.0.0.1:41234. */
  origin: string
  requests: PreparedRequest[]
  /** Requests per second, spread evenly over time. */
  rate: number
  seconds: number
  connections: number
  /** For an https origin: the CA (PEM) that signed its certificate. */
  ca?: string
}

export interface PacedResult {
  p50Ms: number
  p99Ms: number
  ok: number
  /** Answers other than 200 and request errors. */
  notOk: number
}

/**
 * An open-loop load at an even pace: request k leaves at start + k / rate, whatever the earlier ones
 * are doing, over a pool of keep-alive connections. autocannon's rate limit instead sends each
 * connection's quota for the second at once, so its latencies at a fixed rate are those of a burst.
 */
export async function runPaced(options: PacedOptions): Promise<PacedResult> {
  const pool = new Pool(options.origin, {
    connections: options.connections,
    pipelining: 1,
    ...(options.ca !== undefined && { connect: { ca: options.ca } }),
  })
  const latencies: number[] = []
  let notOk = 0
  const inFlight = new Set<Promise<void>>()
  const send = (request: PreparedRequest) => {
    const started = performance.now()
    const done = pool
      .request({ method: request.method, path: request.path, headers: request.headers, body: request.body })
      .then(async ({ statusCode, body }) => {
        await body.dump()
        if (statusCode === 200) latencies.push(performance.now() - started)
        else notOk++
      })
      .catch(() => {
        notOk++
      })
      .finally(() => inFlight.delete(done))
    inFlight.add(done)
  }
  const total = Math.round(options.rate * options.seconds)
  const start = performance.now()
  try {
    for (let sent = 0; sent < total; ) {
      const due = Math.min(total, Math.floor(((performance.now() - start) * options.rate) / 1000) + 1)
      for (; sent < due; sent++) send(options.requests[sent % options.requests.length] as PreparedRequest)
      await delay(1)
    }
    await Promise.all(inFlight)
  } finally {
    await pool.close()
  }
  return { p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), ok: latencies.length, notOk }
}
