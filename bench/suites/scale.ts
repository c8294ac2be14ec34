import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { type Builds, ROOT } from '../lib/build.js'
import { apiCatalog, sdkAppIdsFor } from '../lib/callbacks.js'
import { metricsScraper, probeQuietThenLoaded, sampleOf, sendAlerts, timeRepeated } from '../lib/client.js'
import { max, median, quantile, round } from '../lib/stats.js'
import { startExporter } from '../lib/targets.js'

export interface ScaleOptions {
  builds: Builds
  /** Numbers of tracked APIs to measure at, each in a fresh exporter. */
  sizes: number[]
  /** Alerts for one API before the baseline, so that it holds the compiled code. */
  warmupAlerts: number
  /** Timed scrapes per format. */
  scrapes: number
  /** Seconds of probing without scrapes, then as long again with scrapes back to back. */
  stallSeconds: number
  log: (line: string) => void
}

export const SCRAPE_VARIANTS = [
  { name: 'text', headers: { accept: 'text/plain;version=0.0.4', 'accept-encoding': 'identity' } },
  { name: 'text+gzip', headers: { accept: 'text/plain;version=0.0.4', 'accept-encoding': 'gzip' } },
  {
    name: 'openmetrics',
    headers: { accept: 'application/openmetrics-text;version=1.0.0', 'accept-encoding': 'identity' },
  },
  {
    name: 'openmetrics+gzip',
    headers: { accept: 'application/openmetrics-text;version=1.0.0', 'accept-encoding': 'gzip' },
  },
] as const

export interface ScrapeFigures {
  variant: string
  bytes: number
  medianMs: number
  maxMs: number
  /** The exporter's CPU time per scrape (Linux): steadier than wall time on a shared machine. */
  cpuMs: number | undefined
}

export interface SizeFigures {
  apis: number
  /** Samples in the uncompressed text exposition. */
  samples: number
  scrapes: ScrapeFigures[]
  memory: {
    heapUsedBytes: number
    rssBytes: number
    /**
     * Growth over the same exporter before its first API, divided by the number of APIs; null when the
     * growth is under 1 MiB, which garbage collection and code caches blur (e.g. at 100 APIs).
     */
    heapPerApiBytes: number | null
    rssPerApiBytes: number | null
  }
  stall: {
    /** Median and slowest probe without scrapes. */
    quietP50Ms: number
    quietMaxMs: number
    /** p99 and slowest probe while scrapes ran back to back. */
    scrapingP99Ms: number
    scrapingMaxMs: number
    /** Slowest probe during scrapes less the median quiet probe: the longest stall a scrape caused. */
    stallMs: number
    probes: number
  }
}

/** Node flags that let the benchmark run a full GC in the exporter on SIGUSR2, before reading memory. */
export const GC_ON_SIGNAL = ['--expose-gc', '--require', join(ROOT, 'bench/servers/gc-on-signal.cjs')]
const RESOLUTION_BYTES = 2 ** 20
const perApi = (growth: number, apis: number) =>
  growth < RESOLUTION_BYTES ? null : Math.round(growth / apis)

/**
 * For each size, a fresh exporter learns that many APIs (each alerted once, within the TTL, so all five
 * series of each API are exposed), then its memory is read, `/metrics` is timed in the four variants,
 * and the stall a scrape causes is measured with a probe stream of callbacks.
 */
export async function benchScale(options: ScaleOptions): Promise<SizeFigures[]> {
  const largest = Math.max(...options.sizes)
  const catalog = apiCatalog(largest + 1)
  // API 0 is the probe's and the warm-up's; the sizes count the others.
  const probeApi = catalog[0] as (typeof catalog)[number]
  const results: SizeFigures[] = []
  for (const size of options.sizes) {
    const exporter = await startExporter({
      entry: options.builds.exporter,
      sdkAppIds: sdkAppIdsFor(largest + 1),
      env: { MAX_SERIES: String(largest + 1), ALERT_TTL_SECONDS: '3600' },
      nodeArgs: GC_ON_SIGNAL,
    })
    const scraper = metricsScraper(exporter.url)
    try {
      const readMemory = async () => {
        // A scrape first: the series keep their formatted sample lines, which count as their memory.
        await scraper.scrape({ accept: 'text/plain' })
        process.kill(exporter.pid, 'SIGUSR2')
        await delay(300)
        const text = (await scraper.scrape({ accept: 'text/plain' }, true)).text as string
        return {
          heap: sampleOf(text, 'nodejs_heap_size_used_bytes'),
          rss: sampleOf(text, 'process_resident_memory_bytes'),
        }
      }
      // Warm up the callback and scrape paths on one API, so the baseline holds the compiled code.
      await sendAlerts(exporter.url, Array(options.warmupAlerts).fill(probeApi))
      for (const variant of SCRAPE_VARIANTS) await scraper.scrape(variant.headers)
      const before = await readMemory()

      const started = performance.now()
      await sendAlerts(exporter.url, catalog.slice(1, size + 1))
      options.log(`  ${size} APIs learnt in ${((performance.now() - started) / 1000).toFixed(1)} s`)
      const after = await readMemory()

      const scrapes: ScrapeFigures[] = []
      let samples = 0
      for (const variant of SCRAPE_VARIANTS) {
        const first = await scraper.scrape(variant.headers, variant.name === 'text')
        if (first.text !== undefined) samples = first.text.split('\n').filter((l) => l && l[0] !== '#').length
        scrapes.push({
          variant: variant.name,
          bytes: first.bytes,
          ...(await timeRepeated(exporter.pid, options.scrapes, () => scraper.scrape(variant.headers), 1)),
        })
      }

      const { quiet, loaded: scraping } = await probeQuietThenLoaded(
        exporter.url,
        probeApi,
        options.stallSeconds,
        (i) =>
          scraper.scrape(
            (SCRAPE_VARIANTS[i % SCRAPE_VARIANTS.length] as (typeof SCRAPE_VARIANTS)[number]).headers,
          ),
      )

      const figures: SizeFigures = {
        apis: size,
        samples,
        scrapes,
        memory: {
          heapUsedBytes: after.heap,
          rssBytes: after.rss,
          heapPerApiBytes: perApi(after.heap - before.heap, size),
          rssPerApiBytes: perApi(after.rss - before.rss, size),
        },
        stall: {
          quietP50Ms: round(median(quiet), 2),
          quietMaxMs: round(max(quiet), 2),
          scrapingP99Ms: round(quantile(scraping, 0.99), 2),
          scrapingMaxMs: round(max(scraping), 2),
          stallMs: round(max(scraping) - median(quiet), 2),
          probes: quiet.length + scraping.length,
        },
      }
      results.push(figures)
      const text = scrapes[0] as ScrapeFigures
      options.log(
        `  ${size} APIs: ${samples} samples, text ${(text.bytes / 1024).toFixed(0)} KiB in ${text.medianMs} ms, heap ${figures.memory.heapPerApiBytes ?? '-'} B/API, stall ${figures.stall.stallMs} ms`,
      )
    } finally {
      await scraper.close()
      await exporter.stop()
    }
  }
  return results
}
