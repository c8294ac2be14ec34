import { setTimeout as delay } from 'node:timers/promises'
import { Client, Pool } from 'undici'
import { type Api, alertBody, signedPath } from './callbacks.js'
import { cpuSeconds } from './process-cpu.js'
import { max, median, round } from './stats.js'

/** Sends one alert per API, `concurrency` at a time, each signed when sent; throws on any answer but 200. */
export async function sendAlerts(baseUrl: string, apis: readonly Api[], concurrency = 32): Promise<void> {
  const pool = new Pool(baseUrl, { connections: Math.min(concurrency, 16), pipelining: 1 })
  let next = 0
  const worker = async () => {
    while (next < apis.length) {
      const api = apis[next++] as Api
      const { statusCode, body } = await pool.request({
        method: 'POST',
        path: signedPath(api.sdkAppId),
        headers: { 'content-type': 'application/json' },
        body: alertBody(api, 180),
      })
      const text = await body.text()
      if (statusCode !== 200)
        throw new Error(`alert for ${JSON.stringify(api)} answered ${statusCode}: ${text}`)
    }
  }
  try {
    await Promise.all(Array.from({ length: concurrency }, worker))
  } finally {
    await pool.close()
  }
}

export interface Scrape {
  ms: number
  /** Bytes of the body as sent (compressed when gzip was asked for). */
  bytes: number
  contentType: string
  contentEncoding: string | undefined
  /** The body as text when it was not compressed. */
  text: string | undefined
}

/** A keep-alive client that scrapes `/metrics` as Prometheus would; times each scrape to its last byte. */
export function metricsScraper(baseUrl: string) {
  const client = new Client(baseUrl)
  return {
    async scrape(headers: Record<string, string>, keepText = false): Promise<Scrape> {
      const started = performance.now()
      const response = await client.request({ method: 'GET', path: '/metrics', headers })
      const chunks: Buffer[] = []
      let bytes = 0
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        bytes += chunk.length
        if (keepText) chunks.push(chunk)
      }
      const ms = performance.now() - started
      if (response.statusCode !== 200) throw new Error(`/metrics answered ${response.statusCode}`)
      const encoding = response.headers['content-encoding']
      return {
        ms,
        bytes,
        contentType: String(response.headers['content-type']),
        contentEncoding: encoding === undefined ? undefined : String(encoding),
        text: keepText && encoding === undefined ? Buffer.concat(chunks).toString('utf8') : undefined,
      }
    },
    close: () => client.close(),
  }
}

/** Reads one unlabelled sample from a text exposition. */
export function sampleOf(exposition: string, name: string): number {
  const match = new RegExp(`^${name} (\\S+)`, 'm').exec(exposition)
  if (match === null) throw new Error(`${name} is not in the exposition`)
  return Number(match[1])
}

/**
 * Sends alerts one after another on one keep-alive connection until `stop()`, and keeps each one's
 * latency with the time it started. A stall of the server's event loop delays the request in flight
 * by about as long, so the slowest probe during a window bounds the longest stall in it.
 */
export function startProbe(baseUrl: string, api: Api) {
  const client = new Client(baseUrl)
  const samples: Array<{ at: number; ms: number }> = []
  let running = true
  const done = (async () => {
    while (running) {
      const started = performance.now()
      const { statusCode, body } = await client.request({
        method: 'POST',
        path: signedPath(api.sdkAppId),
        headers: { 'content-type': 'application/json' },
        body: alertBody(api, 190),
      })
      await body.text()
      if (statusCode !== 200) throw new Error(`probe alert answered ${statusCode}`)
      samples.push({ at: started, ms: performance.now() - started })
    }
  })()
  return {
    /** Latencies of the probes that started in [from, to). */
    between: (from: number, to: number) => samples.filter((s) => s.at >= from && s.at < to).map((s) => s.ms),
    async stop() {
      running = false
      await done
      await client.close()
    },
  }
}

/**
 * Runs `request` `count` times one after another: the median and slowest time to the last byte, and
 * the server's CPU time per request (ms, `cpuDecimals` decimals; undefined where there is no /proc).
 */
export async function timeRepeated(
  pid: number,
  count: number,
  request: () => Promise<{ ms: number }>,
  cpuDecimals = 2,
): Promise<{ medianMs: number; maxMs: number; cpuMs: number | undefined }> {
  const times: number[] = []
  const cpuBefore = cpuSeconds(pid)
  for (let i = 0; i < count; i++) times.push((await request()).ms)
  const cpuAfter = cpuSeconds(pid)
  return {
    medianMs: round(median(times), 2),
    maxMs: round(max(times), 2),
    cpuMs:
      cpuBefore === undefined || cpuAfter === undefined
        ? undefined
        : round(((cpuAfter - cpuBefore) * 1000) / count, cpuDecimals),
  }
}

/**
 * Probe callbacks on one connection for `seconds` with nothing else going on, then for `seconds` more
 * while `load` runs back to back (called with 0, 1, 2, …): the probes' latencies in each phase.
 */
export async function probeQuietThenLoaded(
  baseUrl: string,
  api: Api,
  seconds: number,
  load: (i: number) => Promise<unknown>,
): Promise<{ quiet: number[]; loaded: number[] }> {
  const probe = startProbe(baseUrl, api)
  const quietFrom = performance.now()
  await delay(seconds * 1000)
  const loadedFrom = performance.now()
  for (let i = 0; performance.now() - loadedFrom < seconds * 1000; i++) await load(i)
  const loadedTo = performance.now()
  await probe.stop()
  return { quiet: probe.between(quietFrom, loadedFrom), loaded: probe.between(loadedFrom, loadedTo) }
}
