import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { buildAll, buildExporterAt, OUT_DIR, ROOT } from './lib/build.js'
import { describeMachine, gitDescribe } from './lib/machine.js'
import { findNginx } from './lib/nginx.js'
import { runMain } from './lib/run-main.js'
import { type BenchResults, checkTargets, renderMarkdown } from './report.js'
import { benchEgress } from './suites/egress.js'
import { benchFootprint } from './suites/footprint.js'
import { benchIngest } from './suites/ingest.js'
import { benchProxy } from './suites/proxy.js'
import { benchScale } from './suites/scale.js'
import { benchSoak } from './suites/soak.js'
import { benchStatus } from './suites/status.js'
import { benchSteps } from './suites/steps.js'

const USAGE = `usage: npm run bench [-- options]   (tsx bench/run.ts)
  --quick              short rounds and smaller sizes (about a minute; what CI runs)
  --soak               also run the RSS soak (10 minutes at a fixed rate; not in CI);
                       (--only soak runs the soak alone)
  --soak-seconds N     soak length (default 600)
  --footprint-seconds N  how long the footprint suite watches idle servers (default 180, 15 with --quick)
  --profile            run the ingest servers, the REST meter and its floor under node --cpu-prof
                       (bench/.out/profiles)
  --only LIST          comma-separated suites: ingest,scale,proxy,status,footprint,egress,soak (default:
                       all but soak); egress needs nginx (Debian's package nginx)
  --baseline REF       also measure the footprint of the exporter built from another commit, in the same run
  --out FILE           where to write the JSON results (default: bench/results.json for a full run,
                       bench/soak-results.json for --only soak, bench/egress-results.json for
                       --only egress, bench/footprint-results.json for --only footprint,
                       bench/.out/results-quick.json for --quick); a full run to the
                       default place also refreshes BENCHMARKS.md`

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    soak: { type: 'boolean', default: false },
    'soak-seconds': { type: 'string', default: '600' },
    'footprint-seconds': { type: 'string' },
    profile: { type: 'boolean', default: false },
    only: { type: 'string', default: 'ingest,scale,proxy,status,footprint,egress' },
    baseline: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})
if (flags.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}

const quick = flags.quick
const suites = new Set(flags.only.split(',').map((s) => s.trim()))
const runStarted = performance.now()
const log = (line: string) =>
  process.stdout.write(`[${((performance.now() - runStarted) / 1000).toFixed(0).padStart(3)} s] ${line}\n`)
const PLAN = quick
  ? {
      rounds: 2,
      roundSeconds: 1,
      warmupSeconds: 0.5,
      sizes: [100, 2000],
      scrapes: 2,
      stallSeconds: 0.5,
      warmupAlerts: 500,
      footprintSeconds: 15,
      egress: { rounds: 1, roundSeconds: 1, warmupSeconds: 0.5, pacedSeconds: 1 },
    }
  : {
      rounds: 5,
      roundSeconds: 10,
      warmupSeconds: 3,
      sizes: [100, 2000, 20000],
      scrapes: 10,
      stallSeconds: 3,
      warmupAlerts: 5000,
      footprintSeconds: 180,
      egress: { rounds: 5, roundSeconds: 10, warmupSeconds: 3, pacedSeconds: 5 },
    }
const SUITES = ['ingest', 'scale', 'proxy', 'status', 'footprint', 'egress', 'soak']
for (const suite of suites) {
  if (!SUITES.includes(suite)) {
    process.stderr.write(`unknown suite ${JSON.stringify(suite)}\n${USAGE}\n`)
    process.exit(2)
  }
}
// A suite run alone on demand keeps its own file, and leaves the full run's bench/results.json as it is.
const OWN_FILES: Record<string, string> = {
  soak: 'bench/soak-results.json',
  egress: 'bench/egress-results.json',
  footprint: 'bench/footprint-results.json',
}
const alone = suites.size === 1 ? OWN_FILES[[...suites][0] as string] : undefined
const defaultOut = quick ? join(OUT_DIR, 'results-quick.json') : join(ROOT, alone ?? 'bench/results.json')
const outFile = resolve(flags.out ?? defaultOut)
const BENCHMARKS_MD = join(ROOT, 'BENCHMARKS.md')

function version(): string {
  return (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version
}

/** Replaces the generated part of BENCHMARKS.md, between its two markers, with this run's tables. */
function refreshBenchmarksMd(markdown: string): void {
  if (!existsSync(BENCHMARKS_MD)) return
  const doc = readFileSync(BENCHMARKS_MD, 'utf8')
  const start = '<!-- figures:start -->'
  const end = '<!-- figures:end -->'
  const from = doc.indexOf(start)
  const to = doc.indexOf(end)
  if (from < 0 || to < from) return
  writeFileSync(BENCHMARKS_MD, `${doc.slice(0, from + start.length)}\n${markdown}\n${doc.slice(to)}`)
  formatLikeTheProject(BENCHMARKS_MD)
}

/** Formats a file the run wrote inside the project as Biome would, so that `npm run lint` passes on it. */
function formatLikeTheProject(file: string): void {
  if (relative(ROOT, file).startsWith('..')) return
  const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome')
  execFileSync(process.execPath, [biome, 'format', '--write', '--no-errors-on-unmatched', file], {
    cwd: ROOT,
    stdio: 'ignore',
  })
}

async function main(): Promise<void> {
  const startedAt = new Date()
  const loadAverageAtStart = os.loadavg()
  // Before anything runs: a missing nginx is told at once, not after the other suites' minutes.
  if (suites.has('egress')) findNginx()
  log(`bench: ${quick ? 'quick' : 'full'} run; building the exporter and the comparison servers`)
  const builds = buildAll()

  let ingest: BenchResults['ingest']
  if (suites.has('ingest')) {
    log('ingest: bare node:http (ceiling), Koa floor, exporter')
    ingest = await benchIngest({
      builds,
      rounds: PLAN.rounds,
      roundSeconds: PLAN.roundSeconds,
      warmupSeconds: PLAN.warmupSeconds,
      connections: 32,
      apis: 300,
      fixedRate: 1000,
      profileDir: flags.profile ? join(OUT_DIR, 'profiles') : undefined,
      log,
    })
  }
  let steps: BenchResults['steps']
  if (suites.has('ingest')) {
    log("the exporter's own steps on a callback, in process")
    steps = benchSteps(quick ? 20_000 : 200_000)
  }
  let scale: BenchResults['scale']
  if (suites.has('scale')) {
    log(`scrape and memory at ${PLAN.sizes.join(', ')} tracked APIs`)
    scale = await benchScale({
      builds,
      sizes: PLAN.sizes,
      scrapes: PLAN.scrapes,
      stallSeconds: PLAN.stallSeconds,
      warmupAlerts: PLAN.warmupAlerts,
      log,
    })
  }
  let proxy: BenchResults['proxy']
  if (suites.has('proxy')) {
    log('proxy mode: upstream directly and through the exporter')
    proxy = await benchProxy({
      builds,
      rounds: quick ? 1 : 5,
      roundSeconds: quick ? 1 : 8,
      warmupSeconds: quick ? 0.5 : 2,
      connections: 8,
      rate: 1000,
      log,
    })
  }
  let status: BenchResults['status']
  if (suites.has('status')) {
    log('status page at 2000 tracked APIs')
    status = await benchStatus({
      builds,
      apis: 2000,
      requests: quick ? 3 : 20,
      stallSeconds: PLAN.stallSeconds,
      floodReaders: 60,
      floodSeconds: quick ? 1 : 10,
      log,
    })
  }
  let footprint: BenchResults['footprint']
  if (suites.has('footprint')) {
    log('footprint: idle RSS of bare Node.js, the floor and the exporter in two configurations')
    footprint = await benchFootprint({
      builds,
      seconds: Number(flags['footprint-seconds'] ?? PLAN.footprintSeconds),
      scrapeEverySeconds: 15,
      baseline:
        flags.baseline === undefined
          ? undefined
          : { ref: flags.baseline, entry: buildExporterAt(flags.baseline) },
      log,
    })
  }
  let egress: BenchResults['egress']
  if (suites.has('egress')) {
    log('REST meter: Chat directly, through the meter, its floor and nginx')
    egress = await benchEgress({
      builds,
      ...PLAN.egress,
      connections: 32,
      rate: 1000,
      profileDir: flags.profile ? join(OUT_DIR, 'profiles') : undefined,
      log,
    })
  }
  let soak: BenchResults['soak']
  if (flags.soak || suites.has('soak')) {
    const seconds = Number(flags['soak-seconds'])
    log(`soak: ${seconds} s at 500 callbacks/s`)
    soak = await benchSoak({ builds, seconds, rate: 500, log })
  }

  const partial: Omit<BenchResults, 'targets'> = {
    schema: 1,
    mode: quick ? 'quick' : 'full',
    startedAt: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    version: version(),
    commit: gitDescribe(ROOT),
    machine: { ...describeMachine(), loadAverageAtStart, loadAverageAtEnd: os.loadavg() },
    ingest,
    steps,
    scale,
    proxy,
    soak,
    status,
    footprint,
    egress,
  }
  const results: BenchResults = { ...partial, targets: checkTargets(partial) }
  const markdown = renderMarkdown(results)
  mkdirSync(dirname(outFile), { recursive: true })
  writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`)
  formatLikeTheProject(outFile)
  const everything = ['ingest', 'scale', 'proxy'].every((suite) => suites.has(suite))
  if (!quick && flags.out === undefined && everything) refreshBenchmarksMd(markdown)
  process.stdout.write(`\n${markdown}\n\n`)
  log(`results: ${outFile}`)
}

runMain('bench', main)
