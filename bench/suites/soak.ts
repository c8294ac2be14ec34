import { setTimeout as delay } from 'node:timers/promises'
import type { Builds } from '../lib/build.js'
import { alertRequests, apiCatalog, CALLBACK_PATH, sdkAppIdsFor } from '../lib/callbacks.js'
import { metricsScraper, sampleOf } from '../lib/client.js'
import { runLoad } from '../lib/load.js'
import { round, slope } from '../lib/stats.js'
import { startExporter } from '../lib/targets.js'
import { GC_ON_SIGNAL } from './scale.js'

export interface SoakOptions {
  builds: Builds
  seconds: number
  /** Callbacks per second, held for the whole soak. */
  rate: number
  log: (line: string) => void
}

export interface SoakResult {
  seconds: number
  rate: number
  /** Every scrape's reading: seconds since the start, RSS and heap in bytes. */
  samples: Array<{ t: number; rssBytes: number; heapUsedBytes: number }>
  rssFirstBytes: number
  rssLastBytes: number
  rssMaxBytes: number
  /** Least-squares RSS slope over the second half of the soak, in MiB per hour. */
  rssSlopeMiBPerHour: number
  heapSlopeMiBPerHour: number
}

const WINDOW_SECONDS = 30
const SCRAPE_EVERY_MS = 15_000
const MAX_SERIES = 2000
const UNIVERSE = 3000
const WINDOW_APIS = 300

/**
 * A fixed rate of signed alerts for `seconds`, scraped every 15 s as Prometheus would. Every 30 s the
 * alerts move to another 300 of 3000 APIs, with a 60 s TTL and MAX_SERIES 2000: series expire, come
 * back and are evicted all along, so that the soak exercises the whole lifecycle, not one steady state.
 * Each reading follows a full GC in the exporter (SIGUSR2, see GC_ON_SIGNAL), so that the heap's trend
 * is that of live objects.
 */
export async function benchSoak(options: SoakOptions): Promise<SoakResult> {
  const catalog = apiCatalog(UNIVERSE)
  const exporter = await startExporter({
    entry: options.builds.exporter,
    sdkAppIds: sdkAppIdsFor(UNIVERSE),
    env: { MAX_SERIES: String(MAX_SERIES), ALERT_TTL_SECONDS: '60' },
    nodeArgs: GC_ON_SIGNAL,
  })
  const scraper = metricsScraper(exporter.url)
  const samples: SoakResult['samples'] = []
  const started = performance.now()
  const stopScraping = new AbortController()
  const scrapes = (async () => {
    while (!stopScraping.signal.aborted) {
      // Heap figures after a full GC: a leak shows as a trend, not hidden in the garbage's sawtooth.
      process.kill(exporter.pid, 'SIGUSR2')
      await delay(300)
      const text = (await scraper.scrape({ accept: 'text/plain' }, true)).text as string
      samples.push({
        t: round((performance.now() - started) / 1000, 1),
        rssBytes: sampleOf(text, 'process_resident_memory_bytes'),
        heapUsedBytes: sampleOf(text, 'nodejs_heap_size_used_bytes'),
      })
      const last = samples[samples.length - 1]
      if (last) options.log(`  soak ${last.t} s: RSS ${(last.rssBytes / 2 ** 20).toFixed(1)} MiB`)
      await delay(SCRAPE_EVERY_MS, undefined, { signal: stopScraping.signal }).catch(() => undefined)
    }
  })()
  try {
    for (let window = 0; (performance.now() - started) / 1000 < options.seconds; window++) {
      const first = (window * WINDOW_APIS) % UNIVERSE
      const apis = catalog.slice(first, first + WINDOW_APIS)
      const left = options.seconds - (performance.now() - started) / 1000
      const result = await runLoad({
        url: exporter.url + CALLBACK_PATH,
        requests: alertRequests(apis),
        connections: 8,
        durationSeconds: Math.max(1, Math.min(WINDOW_SECONDS, Math.round(left))),
        overallRate: options.rate,
      })
      if (result.notOk > 0 || result.errors > 0) {
        throw new Error(`soak: ${result.notOk} answers other than 200 and ${result.errors} errors`)
      }
    }
  } finally {
    stopScraping.abort()
    await scrapes
    await scraper.close()
    await exporter.stop()
  }
  const secondHalf = samples.filter((s) => s.t >= options.seconds / 2)
  const perHour = (key: 'rssBytes' | 'heapUsedBytes') =>
    round((slope(secondHalf.map((s) => ({ x: s.t, y: s[key] }))) * 3600) / 2 ** 20, 2)
  const rss = samples.map((s) => s.rssBytes)
  return {
    seconds: options.seconds,
    rate: options.rate,
    samples,
    rssFirstBytes: rss[0] ?? Number.NaN,
    rssLastBytes: rss[rss.length - 1] ?? Number.NaN,
    rssMaxBytes: Math.max(...rss),
    rssSlopeMiBPerHour: perHour('rssBytes'),
    heapSlopeMiBPerHour: perHour('heapUsedBytes'),
  }
}
