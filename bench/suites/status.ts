import { Client } from 'undici'
import type { Builds } from '../lib/build.js'
import { apiCatalog, sdkAppIdsFor } from '../lib/callbacks.js'
import { probeQuietThenLoaded, sendAlerts, timeRepeated } from '../lib/client.js'
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
}

const PATHS = ['/', '/api/v1/status'] as const

/**
 * The status page's cost: a fresh exporter tracks `apis` APIs, then `GET /` (the first 100
 * rows rendered) and `GET /api/v1/status` (all of them) are timed, their CPU read, and the longest
 * stall they cause to callbacks measured with a probe stream, as the scale suite does for /metrics.
 */
export async function benchStatus(options: StatusOptions): Promise<StatusFigures> {
  const catalog = apiCatalog(options.apis + 1)
  const probeApi = catalog[0] as (typeof catalog)[number]
  const exporter = await startExporter({
    entry: options.builds.exporter,
    sdkAppIds: sdkAppIdsFor(options.apis + 1),
    env: { MAX_SERIES: String(options.apis + 1), ALERT_TTL_SECONDS: '3600' },
  })
  // Each request on a new connection: these answers close theirs (`Connection: close`).
  const get = async (path: string) => {
    const client = new Client(exporter.url)
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
  try {
    await sendAlerts(exporter.url, catalog)
    options.log(`  status: ${options.apis} APIs tracked`)
    const paths: StatusPathFigures[] = []
    for (const path of PATHS) {
      const first = await get(path)
      paths.push({
        path,
        bytes: first.bytes,
        ...(await timeRepeated(exporter.pid, options.requests, () => get(path))),
      })
    }

    const { quiet, loaded: loading } = await probeQuietThenLoaded(
      exporter.url,
      probeApi,
      options.stallSeconds,
      (i) => get(PATHS[i % PATHS.length] as string),
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
  ]
}
