/**
 * `/metrics` of this build against another commit's, in the same run: `npx tsx bench/scrape-compare.ts
 * --baseline REF [--apis 2000] [--rounds 7] [--scrapes 40]`. Each build runs as an exporter that learns
 * the same APIs; then rounds of scrapes alternate between the two (text and OpenMetrics, uncompressed),
 * so that both meet the same machine. Prints the median over rounds of each one's wall time and server
 * CPU per scrape, and this build's ratio to the baseline.
 */
import { parseArgs } from 'node:util'
import { buildAll, buildExporterAt } from './lib/build.js'
import { apiCatalog, sdkAppIdsFor } from './lib/callbacks.js'
import type { ServerProcess } from './lib/children.js'
import { metricsScraper, sendAlerts, timeRepeated } from './lib/client.js'
import { runMain } from './lib/run-main.js'
import { median, round } from './lib/stats.js'
import { startExporter } from './lib/targets.js'
import { SCRAPE_VARIANTS } from './suites/scale.js'

const { values: flags } = parseArgs({
  options: {
    baseline: { type: 'string' },
    apis: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '7' },
    scrapes: { type: 'string', default: '40' },
  },
})

runMain('scrape-compare', async () => {
  if (flags.baseline === undefined) throw new Error('usage: scrape-compare --baseline REF [--apis N]')
  const apis = Number(flags.apis)
  const rounds = Number(flags.rounds)
  const scrapes = Number(flags.scrapes)
  const entries = { this: buildAll().exporter, baseline: buildExporterAt(flags.baseline) }
  const catalog = apiCatalog(apis)
  const servers = {} as Record<keyof typeof entries, ServerProcess>
  for (const [name, entry] of Object.entries(entries) as Array<[keyof typeof entries, string]>) {
    servers[name] = await startExporter({
      entry,
      sdkAppIds: sdkAppIdsFor(apis),
      env: { MAX_SERIES: String(apis), ALERT_TTL_SECONDS: '3600' },
    })
    await sendAlerts(servers[name].url, catalog)
  }
  const variants = SCRAPE_VARIANTS.filter((v) => !v.name.endsWith('gzip'))
  const figures = new Map<string, { ms: number[]; cpuMs: number[] }>()
  for (let round_ = 0; round_ < rounds; round_++) {
    // Alternate which build goes first, so that neither always meets a warmer or cooler machine.
    const order = round_ % 2 === 0 ? (['this', 'baseline'] as const) : (['baseline', 'this'] as const)
    for (const name of order) {
      const scraper = metricsScraper(servers[name].url)
      for (const variant of variants) {
        const timed = await timeRepeated(servers[name].pid, scrapes, () => scraper.scrape(variant.headers), 3)
        const key = `${name} ${variant.name}`
        const entry = figures.get(key) ?? { ms: [], cpuMs: [] }
        entry.ms.push(timed.medianMs)
        if (timed.cpuMs !== undefined) entry.cpuMs.push(timed.cpuMs)
        figures.set(key, entry)
      }
    }
  }
  process.stdout.write(
    `/metrics at ${apis} APIs, ${rounds} rounds of ${scrapes} scrapes, baseline ${flags.baseline}\n`,
  )
  for (const variant of variants) {
    const of = (name: string) => figures.get(`${name} ${variant.name}`) as { ms: number[]; cpuMs: number[] }
    const [now, before] = [of('this'), of('baseline')]
    const line = (name: string, f: { ms: number[]; cpuMs: number[] }) =>
      `  ${variant.name.padEnd(12)} ${name.padEnd(8)} median ${round(median(f.ms), 2)} ms, CPU ${round(median(f.cpuMs), 2)} ms`
    process.stdout.write(`${line('this', now)}\n${line('baseline', before)}\n`)
    process.stdout.write(
      `  ${variant.name.padEnd(12)} ratio    time ${round(median(now.ms) / median(before.ms), 3)}, CPU ${round(median(now.cpuMs) / median(before.cpuMs), 3)}\n`,
    )
  }
})
