import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { Client, Pool } from 'undici'
import type { Builds } from '../lib/build.js'
import { type Api, alertRequests, apiCatalog, sdkAppIdsFor, signedPath } from '../lib/callbacks.js'
import { probeQuietThenLoaded, sendAlerts, timeRepeated } from '../lib/client.js'
import { runPaced } from '../lib/paced.js'
import { cpuSeconds } from '../lib/process-cpu.js'
import { max, median, round } from '../lib/stats.js'
import { startExporter } from '../lib/targets.js'

export interface StatusOptions {
  builds: Builds
  /** Tracked APIs (MAX_SERIES' default is the interesting size). */
  apis: number
  /** Timed requests per path. */
  requests: number
  /** Seconds of probing without requests, then as long again with requests back to back. */
  stallSeconds: number
  /** Concurrent readers of the page and the JSON in the flood, and its seconds (quiet, then flooded). */
  floodReaders: number
  floodSeconds: number
  log: (line: string) => void
}

export interface StatusPathFigures {
  path: string
  bytes: number
  medianMs: number
  maxMs: number
  /** The exporter's CPU time per request (Linux). */
  cpuMs: number | undefined
}

export interface StatusFigures {
  apis: number
  paths: StatusPathFigures[]
  /** Probe callbacks, quiet and while the page and the JSON were asked for back to back. */
  stall: { quietP50Ms: number; quietMaxMs: number; loadingMaxMs: number; stallMs: number; probes: number }
  /** Probe callbacks, quiet and while `readers` clients read the page and the JSON at once, at the caps. */
  flood?: FloodFigures
}

export interface FloodFigures {
  /** Tracked APIs, tracked group-quota apps and callback commands seen: each at MAX_SERIES. */
  caps: { apis: number; groupQuotaApps: number; commands: number }
  readers: number
  seconds: number
  /** Callbacks sent a second, evenly paced, in both phases. */
  callbacksPerSecond: number
  quiet: { p50Ms: number; p99Ms: number; callbacks: number }
  flooded: { p50Ms: number; p99Ms: number; callbacks: number }
  /** Flooded p99 minus quiet p99: the budget is 50 ms. */
  addedP99Ms: number
  /** The exporter's CPU seconds per second during the flood (1 = a whole core); undefined without /proc. */
  cpuShare?: number | undefined
  /** Answers the readers got per second, per path, and their size. */
  answers: Array<{ path: string; perSecond: number; bytes: number }>
}

const PATHS = ['/', '/api/v1/status'] as const
/** The group-quota apps of the flood: a range of their own, beside the catalogue's apps. */
const GROUP_APPS_FROM = 1_500_000_000

/** A GET on a new connection (these answers close theirs), read to its last byte. */
async function get(base: string, path: string): Promise<{ ms: number; bytes: number }> {
  const client = new Client(base)
  try {
    const started = performance.now()
    const response = await client.request({ method: 'GET', path })
    let bytes = 0
    for await (const chunk of response.body as AsyncIterable<Buffer>) bytes += chunk.length
    if (response.statusCode !== 200) throw new Error(`${path} answered ${response.statusCode}`)
    return { ms: performance.now() - started, bytes }
  } finally {
    await client.close()
  }
}

/**
 * Fills the caps beside the APIs: `count` apps with a group-quota alarm, and `count` callback commands
 * (each counted on the status page) from one app, 16 at a time.
 */
async function fillOtherCaps(base: string, app: Api, groupApps: string[], count: number): Promise<void> {
  const pool = new Pool(base, { connections: 16 })
  const send = async (path: string, body: string) => {
    const { statusCode, body: answer } = await pool.request({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body,
    })
    await answer.text()
    if (statusCode !== 200) throw new Error(`${path} answered ${statusCode}`)
  }
  const quota = 'Group.CallbackOnDailyGroupQuotaAlarm'
  const jobs: Array<() => Promise<void>> = [
    ...groupApps.map(
      (sdkAppId, i) => () =>
        send(
          signedPath(sdkAppId).replace('Alert.RequestOverLimit', quota),
          JSON.stringify({ CallbackCommand: quota, QuotaUsed: 7000 + i, Quota: 10000 }),
        ),
    ),
    ...Array.from({ length: count }, (_, i) => {
      const command = `Bench.Command${String(i).padStart(5, '0')}`
      return () =>
        send(
          signedPath(app.sdkAppId).replace('Alert.RequestOverLimit', command),
          `{"CallbackCommand":"${command}"}`,
        )
    }),
  ]
  let next = 0
  try {
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < jobs.length) await (jobs[next++] as () => Promise<void>)()
      }),
    )
  } finally {
    await pool.close()
  }
}

/**
 * The flood's readers, on an event loop of their own (a worker thread): reading megabytes of answers
 * on the event loop that times the callbacks would delay their timings by its own work. Each reader
 * asks for its path on a new connection and reads the answer to its end, back to back, for `ms`.
 */
const READERS_WORKER = `
const { request } = require('node:http')
const { parentPort, workerData } = require('node:worker_threads')
const { base, paths, readers, ms } = workerData
const reads = paths.map((path) => ({ path, count: 0, bytes: 0 }))
const until = performance.now() + ms
const read = (path) =>
  new Promise((resolve, reject) => {
    const req = request(base + path, { agent: false }, (res) => {
      let bytes = 0
      res.on('data', (chunk) => { bytes += chunk.length })
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(path + ' answered ' + res.statusCode))))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
Promise.all(
  Array.from({ length: readers }, async (_, i) => {
    const entry = reads[i % reads.length]
    while (performance.now() < until) {
      entry.bytes = await read(entry.path)
      entry.count += 1
    }
  }),
).then(() => parentPort.postMessage({ reads }), (error) => parentPort.postMessage({ error: String(error) }))
`

async function readInAWorker(
  base: string,
  readers: number,
  ms: number,
): Promise<Array<{ path: string; count: number; bytes: number }>> {
  const worker = new Worker(READERS_WORKER, { eval: true, workerData: { base, paths: PATHS, readers, ms } })
  try {
    const [message] = (await once(worker, 'message')) as [
      { reads?: Array<{ path: string; count: number; bytes: number }>; error?: string },
    ]
    if (message.error !== undefined || message.reads === undefined) {
      throw new Error(`status flood readers: ${message.error}`)
    }
    return message.reads
  } finally {
    await worker.terminate()
  }
}

/** Callbacks a second during the flood's two phases, evenly paced, as Chat sends them. */
const FLOOD_CALLBACK_RATE = 100

/**
 * Callbacks at an even pace (FLOOD_CALLBACK_RATE a second on 16 keep-alive connections) for
 * `floodSeconds` with nothing else going on, then as long again while `floodReaders` clients read the
 * page and the JSON (half each), each read on a new connection, back to back, from a worker thread: the
 * callbacks' p50 and p99 in each phase.
 */
async function flood(base: string, pid: number, apis: Api[], options: StatusOptions): Promise<FloodFigures> {
  const callbacks = () =>
    runPaced({
      origin: base,
      requests: alertRequests(apis),
      rate: FLOOD_CALLBACK_RATE,
      seconds: options.floodSeconds,
      connections: 16,
    })
  const quiet = await callbacks()
  const floodFrom = performance.now()
  const cpuFrom = cpuSeconds(pid)
  const [flooded, reads] = await Promise.all([
    callbacks(),
    readInAWorker(base, options.floodReaders, options.floodSeconds * 1000),
  ])
  const floodTo = performance.now()
  const cpuTo = cpuSeconds(pid)
  if (quiet.notOk + flooded.notOk > 0)
    throw new Error(`status flood: ${quiet.notOk + flooded.notOk} callbacks failed`)
  const status = (await (await fetch(`${base}${PATHS[1]}`)).json()) as {
    apis?: unknown[]
    group_quota?: unknown[]
    callbacks?: unknown[]
    totals?: { apis?: number; group_quota?: number; callbacks?: number }
  }
  return {
    caps: {
      apis: status.totals?.apis ?? status.apis?.length ?? 0,
      groupQuotaApps: status.totals?.group_quota ?? status.group_quota?.length ?? 0,
      commands: status.totals?.callbacks ?? status.callbacks?.length ?? 0,
    },
    readers: options.floodReaders,
    seconds: options.floodSeconds,
    callbacksPerSecond: FLOOD_CALLBACK_RATE,
    quiet: { p50Ms: round(quiet.p50Ms, 2), p99Ms: round(quiet.p99Ms, 2), callbacks: quiet.ok },
    flooded: { p50Ms: round(flooded.p50Ms, 2), p99Ms: round(flooded.p99Ms, 2), callbacks: flooded.ok },
    addedP99Ms: round(flooded.p99Ms - quiet.p99Ms, 2),
    cpuShare:
      cpuFrom === undefined || cpuTo === undefined
        ? undefined
        : round((cpuTo - cpuFrom) / ((floodTo - floodFrom) / 1000), 2),
    answers: reads.map((read) => ({
      path: read.path,
      perSecond: round(read.count / ((floodTo - floodFrom) / 1000), 1),
      bytes: read.bytes,
    })),
  }
}

/**
 * The status page's cost: a fresh exporter tracks `apis` APIs, then `GET /` (the first 100 rows of each
 * table rendered) and `GET /api/v1/status` (its first page) are timed, their CPU read, and the longest
 * stall they cause to callbacks measured with a probe stream, as the scale suite does for /metrics.
 * Then every cap is filled (`apis` group-quota apps and callback commands as well) and the flood is
 * measured: callbacks alone, then while `floodReaders` clients read the page and the JSON.
 */
export async function benchStatus(options: StatusOptions): Promise<StatusFigures> {
  const catalog = apiCatalog(options.apis + 1)
  const probeApi = catalog[0] as (typeof catalog)[number]
  const groupApps = Array.from({ length: options.apis }, (_, i) => String(GROUP_APPS_FROM + i))
  const exporter = await startExporter({
    entry: options.builds.exporter,
    sdkAppIds: [sdkAppIdsFor(options.apis + 1), ...groupApps].join(','),
    env: { MAX_SERIES: String(options.apis + 1), ALERT_TTL_SECONDS: '3600' },
  })
  try {
    await sendAlerts(exporter.url, catalog)
    options.log(`  status: ${options.apis} APIs tracked`)
    const paths: StatusPathFigures[] = []
    for (const path of PATHS) {
      const first = await get(exporter.url, path)
      paths.push({
        path,
        bytes: first.bytes,
        ...(await timeRepeated(exporter.pid, options.requests, () => get(exporter.url, path))),
      })
    }

    const { quiet, loaded: loading } = await probeQuietThenLoaded(
      exporter.url,
      probeApi,
      options.stallSeconds,
      (i) => get(exporter.url, PATHS[i % PATHS.length] as string),
    )
    const figures: StatusFigures = {
      apis: options.apis,
      paths,
      stall: {
        quietP50Ms: round(median(quiet), 2),
        quietMaxMs: round(max(quiet), 2),
        loadingMaxMs: round(max(loading), 2),
        stallMs: round(max(loading) - median(quiet), 2),
        probes: quiet.length + loading.length,
      },
    }
    const [page, json] = paths as [StatusPathFigures, StatusPathFigures]
    options.log(
      `  status: / ${page.medianMs} ms (${(page.bytes / 1024).toFixed(0)} KiB), /api/v1/status ${json.medianMs} ms (${(json.bytes / 1024).toFixed(0)} KiB), stall ${figures.stall.stallMs} ms`,
    )

    // The flood: every other cap full too (group-quota apps, callback commands), then many readers.
    await fillOtherCaps(exporter.url, catalog[1] as Api, groupApps, options.apis)
    figures.flood = await flood(exporter.url, exporter.pid, catalog, options)
    options.log(
      `  status flood: ${options.floodReaders} readers, callbacks p99 ${figures.flood.quiet.p99Ms} ms alone, ${figures.flood.flooded.p99Ms} ms flooded (+${figures.flood.addedP99Ms} ms)`,
    )
    return figures
  } finally {
    await exporter.stop()
  }
}

/** The suite's figures as a Markdown table, for the run's report. */
export function renderStatusMarkdown(figures: StatusFigures): string[] {
  return [
    `**Status page**: ${figures.apis} tracked APIs; each request on its own connection, to the last byte (median / slowest), the exporter's CPU per request, the size; probe callbacks without and during back-to-back requests.`,
    '',
    '| path | median ms | slowest ms | CPU ms | size |',
    '| ---- | --------: | ---------: | -----: | ---: |',
    ...figures.paths.map(
      (p) =>
        `| \`${p.path}\` | ${p.medianMs} | ${p.maxMs} | ${p.cpuMs ?? '–'} | ${(p.bytes / 1024).toFixed(1)} KiB |`,
    ),
    '',
    `Probe callbacks: p50 quiet ${figures.stall.quietP50Ms} ms, slowest quiet ${figures.stall.quietMaxMs} ms, slowest while loading ${figures.stall.loadingMaxMs} ms: the longest stall **${figures.stall.stallMs} ms** (${figures.stall.probes} probes).`,
    '',
    ...renderFloodMarkdown(figures.flood),
  ]
}

function renderFloodMarkdown(flood: FloodFigures | undefined): string[] {
  if (flood === undefined) return []
  return [
    `**Status page flood**: ${flood.caps.apis} APIs, ${flood.caps.groupQuotaApps} group-quota apps and ${flood.caps.commands} callback commands tracked; callbacks at ${flood.callbacksPerSecond}/s on 16 connections for ${flood.seconds} s alone, then ${flood.seconds} s more while ${flood.readers} clients read \`/\` and \`/api/v1/status\` (half each, a new connection per read, back to back, on an event loop of their own).`,
    '',
    '| callbacks | p50 ms | p99 ms | answered |',
    '| --------- | -----: | -----: | -------: |',
    `| alone | ${flood.quiet.p50Ms} | ${flood.quiet.p99Ms} | ${flood.quiet.callbacks} |`,
    `| with ${flood.readers} status readers | ${flood.flooded.p50Ms} | ${flood.flooded.p99Ms} | ${flood.flooded.callbacks} |`,
    '',
    `p99 added by the readers: **${flood.addedP99Ms} ms** (budget 50 ms); the exporter's CPU during the flood: ${flood.cpuShare ?? '–'} of a core. Answers: ${flood.answers.map((a) => `\`${a.path}\` ${a.perSecond}/s of ${(a.bytes / 1024).toFixed(1)} KiB`).join(', ')}.`,
    '',
  ]
}
