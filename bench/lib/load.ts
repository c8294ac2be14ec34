import autocannon from 'autocannon'
import type { PreparedRequest } from './callbacks.js'
import { cpuSeconds } from './process-cpu.js'
import { max, quantile } from './stats.js'

export interface LoadOptions {
  url: string
  /** The server's process id, to read the CPU time it spends per request. */
  serverPid?: number
  requests: PreparedRequest[]
  connections: number
  durationSeconds: number
  /** Requests per second over all connections; unset = as fast as the server answers. */
  overallRate?: number
  /**
   * For an https URL: the name the client sends in SNI (autocannon speaks TLS but never verifies the
   * certificate, whatever it is given).
   */
  servername?: string
}

export interface LoadResult {
  /** Answers with status 200 per second of the round. */
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  ok: number
  /** Answers other than 200, and connection errors or timeouts: all must be 0 for a valid round. */
  notOk: number
  errors: number
  /** The first few distinct error messages of the round, when there were errors (to say what failed). */
  firstErrors?: string[]
  /** CPU time the server spent per answered request, in microseconds (Linux only). */
  serverCpuMicros: number | undefined
  /** CPU the load generator itself used, in cores (1 = one core busy): near 1 means it may be the limit. */
  clientCores: number
}

/**
 * One autocannon round over keep-alive connections. Latencies come from autocannon's per-response
 * event in fractional milliseconds (its own histogram rounds to whole milliseconds, too coarse here).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = []
  let ok = 0
  let notOk = 0
  const cpuBefore = process.cpuUsage()
  const serverCpuBefore = options.serverPid === undefined ? undefined : cpuSeconds(options.serverPid)
  const started = performance.now()
  let instance: autocannon.Instance | undefined
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        pipelining: 1,
        duration: options.durationSeconds,
        requests: options.requests,
        timeout: 5,
        ...(options.overallRate !== undefined && { overallRate: options.overallRate }),
        ...(options.servername !== undefined && { servername: options.servername }),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
  })
  const firstErrors = new Set<string>()
  instance?.on('reqError', (error: Error) => {
    if (firstErrors.size < 5)
      firstErrors.add(`${(error as { code?: string }).code ?? ''} ${error.message}`.trim())
  })
  instance?.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode === 200) {
      ok++
      latencies.push(responseTime)
    } else {
      notOk++
    }
  })
  const result = await finished
  const elapsedSeconds = (performance.now() - started) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  const serverCpuAfter = options.serverPid === undefined ? undefined : cpuSeconds(options.serverPid)
  const serverCpuMicros =
    serverCpuBefore === undefined || serverCpuAfter === undefined || ok === 0
      ? undefined
      : ((serverCpuAfter - serverCpuBefore) * 1e6) / ok
  return {
    reqPerSec: ok / result.duration,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    maxMs: max(latencies),
    ok,
    notOk,
    errors: result.errors + result.timeouts,
    ...(firstErrors.size > 0 && { firstErrors: [...firstErrors] }),
    serverCpuMicros,
    clientCores: (cpu.user + cpu.system) / 1e6 / elapsedSeconds,
  }
}
