import type { Machine } from './lib/machine.js'
import type { EgressResult } from './suites/egress.js'
import { type FootprintFigures, renderFootprintMarkdown, settledOf } from './suites/footprint.js'
import type { IngestResult, Target } from './suites/ingest.js'
import type { ProxyResult } from './suites/proxy.js'
import type { SizeFigures } from './suites/scale.js'
import type { SoakResult } from './suites/soak.js'
import { renderStatusMarkdown, type StatusFigures } from './suites/status.js'
import type { StepCost } from './suites/steps.js'

/** What one run measured: bench/results.json keeps the latest full run for comparison between versions. */
export interface BenchResults {
  schema: 1
  mode: 'full' | 'quick'
  startedAt: string
  durationSeconds: number
  version: string
  commit: string | undefined
  machine: Machine & { loadAverageAtStart: number[]; loadAverageAtEnd: number[] }
  ingest: IngestResult | undefined
  steps: StepCost[] | undefined
  scale: SizeFigures[] | undefined
  proxy: ProxyResult | undefined
  soak: SoakResult | undefined
  /** The status page's cost (bench/suites/status.ts); absent from runs before it existed. */
  status?: StatusFigures | undefined
  /** Idle memory (bench/suites/footprint.ts); absent from runs before it existed. */
  footprint?: FootprintFigures | undefined
  /** The REST meter against a minimal proxy and nginx (bench/suites/egress.ts); absent from earlier runs. */
  egress?: EgressResult | undefined
  targets: TargetCheck[]
}

export interface TargetCheck {
  name: string
  goal: string
  value: number | undefined
  met: boolean | undefined
}

const at = (scale: SizeFigures[] | undefined, apis: number) => scale?.find((s) => s.apis === apis)

/**
 * The performance budget (the hot path near the framework's floor, scrapes, stalls, memory), checked
 * against a run's figures: reported, never asserted. The floor is the exporter's framework (Koa,
 * @koa/router, koa-bodyparser) answering OK, measured in the same run.
 */
export function checkTargets(results: Omit<BenchResults, 'targets'>): TargetCheck[] {
  const checks: TargetCheck[] = []
  const check = (name: string, goal: string, value: number | undefined, met: (v: number) => boolean) =>
    checks.push({ name, goal, value, met: value === undefined ? undefined : met(value) })
  const ingest = results.ingest
  const exporter = ingest?.targets.exporter
  const floor = ingest?.targets.floor
  check('exporter/floor req/s', '>= 0.88', ingest?.ratios.exporterToFloor, (v) => v >= 0.88)
  check(
    'server CPU per callback above the floor (µs)',
    '<= 8',
    exporter?.serverCpuMicros === undefined || floor?.serverCpuMicros === undefined
      ? undefined
      : Math.round((exporter.serverCpuMicros - floor.serverCpuMicros) * 10) / 10,
    (v) => v <= 8,
  )
  check(
    `p99 at ${ingest?.fixedRate ?? '-'} req/s above the floor's (ms)`,
    '<= 0.5',
    exporter === undefined || floor === undefined
      ? undefined
      : Math.round((exporter.atFixedRate.p99Ms - floor.atFixedRate.p99Ms) * 1000) / 1000,
    (v) => v <= 0.5,
  )
  const mid = at(results.scale, 2000)
  const large = at(results.scale, 20000)
  const text = (s: SizeFigures | undefined) => s?.scrapes.find((x) => x.variant === 'text')?.medianMs
  check('/metrics at 2,000 APIs (ms, text)', '<= 8', text(mid), (v) => v <= 8)
  // Linearity from CPU time per scrape: wall time on a shared machine swings too much to compare sizes.
  const perSample = (s: SizeFigures | undefined) => {
    const ms = s?.scrapes.find((x) => x.variant === 'text')?.cpuMs
    return ms === undefined || s === undefined ? undefined : ms / s.samples
  }
  const a = perSample(mid)
  const b = perSample(large)
  check(
    '/metrics CPU per sample, 20,000 over 2,000 APIs',
    '<= 1.3',
    a === undefined || b === undefined ? undefined : Math.round((b / a) * 100) / 100,
    (v) => v <= 1.3,
  )
  check(
    'longest stall of callbacks during 20,000-API scrapes (ms)',
    '<= 50',
    large?.stall.stallMs,
    (v) => v <= 50,
  )
  const largest = results.scale?.[results.scale.length - 1]
  check(
    `heap per tracked API at ${largest?.apis ?? '-'} APIs (bytes)`,
    '<= 2048',
    largest?.memory.heapPerApiBytes ?? undefined,
    (v) => v <= 2048,
  )
  check(
    'idle RSS, default configuration (MiB, settled)',
    '<= 65',
    settledOf(results.footprint, 'exporter, default configuration'),
    (v) => v <= 65,
  )
  check(
    'idle RSS, every feature on (MiB, settled)',
    '<= 80',
    settledOf(results.footprint, 'exporter, every feature on'),
    (v) => v <= 80,
  )
  check(
    `callbacks' p99 under ${results.status?.flood?.readers ?? '-'} status readers at the caps, above quiet (ms)`,
    '<= 50',
    results.status?.flood?.addedP99Ms,
    (v) => v <= 50,
  )
  check(
    'RSS drift over the second half of the soak (MiB/hour)',
    'within ±10 (levels off)',
    results.soak?.rssSlopeMiBPerHour,
    (v) => Math.abs(v) <= 10,
  )
  checks.push(...checkEgressTargets(results.egress))
  return checks
}

/**
 * The REST meter's budget (the meter as a proxy at its stack's floor): what it adds to a call's p99 at
 * an even rate over calling Chat directly, and its throughput and CPU per call over the floor's.
 */
export function checkEgressTargets(egress: EgressResult | undefined): TargetCheck[] {
  const checks: TargetCheck[] = []
  const check = (name: string, goal: string, value: number | undefined, met: (v: number) => boolean) =>
    checks.push({ name, goal, value, met: value === undefined ? undefined : met(value) })
  check(
    `REST meter: p99 at ${egress?.rate ?? '-'} calls/s above direct (ms)`,
    '<= 1',
    egress?.addedAtRate.meter.p99Ms,
    (v) => v <= 1,
  )
  check('REST meter/floor calls/s', '>= 0.8', egress?.ratios.meterToFloor.reqPerSec, (v) => v >= 0.8)
  check('REST meter/floor CPU per call', '<= 1.25', egress?.ratios.meterToFloor.cpu, (v) => v <= 1.25)
  return checks
}

const fmt = (value: number | null | undefined, decimals = 2) =>
  value === undefined || value === null
    ? '–'
    : Number.isInteger(value)
      ? String(value)
      : value.toFixed(decimals)
const perApi = (bytes: number | null) => (bytes === null ? 'below resolution' : `${bytes} B`)
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`

/** The run as Markdown tables: printed at the end of every run and kept in BENCHMARKS.md. */
export function renderMarkdown(r: BenchResults): string {
  const out: string[] = []
  const m = r.machine
  out.push(
    `Run of ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC (${r.mode}, ${Math.round(r.durationSeconds)} s), version ${r.version}${r.commit ? ` at ${r.commit}` : ''}.`,
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node.js ${m.node}; load average ${m.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')} at the start, ${m.loadAverageAtEnd.map((x) => x.toFixed(2)).join(' ')} at the end.`,
    '',
  )
  if (r.ingest) {
    const i = r.ingest
    out.push(
      `**Ingest**: ${i.connections} keep-alive connections, signed \`Alert.RequestOverLimit\` over ${i.apis} APIs, median of ${i.rounds} alternating rounds of ${i.roundSeconds} s.`,
      '',
      `| server | req/s | p50 ms | p99 ms | server CPU µs/req | load generator cores | p50 / p99 ms at ${i.fixedRate} req/s |`,
      '|---|---:|---:|---:|---:|---:|---:|',
    )
    for (const target of ['bare', 'floor', 'exporter'] as Target[]) {
      const t = i.targets[target]
      out.push(
        `| ${target} | ${t.reqPerSec} | ${fmt(t.p50Ms)} | ${fmt(t.p99Ms)} | ${fmt(t.serverCpuMicros, 1)} | ${fmt(t.clientCores)} | ${fmt(t.atFixedRate.p50Ms)} / ${fmt(t.atFixedRate.p99Ms)} |`,
      )
    }
    out.push(
      '',
      `Ratios (req/s): exporter/bare **${fmt(i.ratios.exporterToBare)}**, exporter/floor **${fmt(i.ratios.exporterToFloor)}**. ` +
        `CPU per request: exporter/bare ${fmt(i.cpuRatios.exporterToBare)}×, exporter/floor ${fmt(i.cpuRatios.exporterToFloor)}×.`,
      '',
    )
  }
  if (r.steps) {
    const total = r.steps.reduce((sum, s) => sum + s.micros, 0)
    out.push(
      `The exporter's own steps on a callback, CPU µs per call in a warm in-process loop (${fmt(total)} µs in all):`,
      '',
      '| step | µs |',
      '|---|---:|',
      ...r.steps.map((s) => `| ${s.step} | ${fmt(s.micros)} |`),
      '',
    )
  }
  if (r.scale) {
    out.push(
      "**Scrape**: `/metrics` time to the last byte (median / slowest), the exporter's CPU time per scrape, and the size on the wire.",
      '',
      '| tracked APIs | samples | text | text + gzip | OpenMetrics | OpenMetrics + gzip |',
      '|---:|---:|---|---|---|---|',
    )
    for (const s of r.scale) {
      const cells = s.scrapes.map(
        (x) => `${fmt(x.medianMs)} / ${fmt(x.maxMs)} ms, CPU ${fmt(x.cpuMs, 1)} ms, ${kib(x.bytes)}`,
      )
      out.push(`| ${s.apis} | ${s.samples} | ${cells.join(' | ')} |`)
    }
    out.push(
      '',
      '**Stall and memory**: probe callbacks on one connection, without and during back-to-back scrapes; memory after a full GC.',
      '',
      '| tracked APIs | probe p50 quiet ms | slowest probe quiet / scraping ms | longest stall ms | heap used | heap per API | RSS | RSS per API |',
      '|---:|---:|---|---:|---:|---:|---:|---:|',
    )
    for (const s of r.scale) {
      out.push(
        `| ${s.apis} | ${fmt(s.stall.quietP50Ms)} | ${fmt(s.stall.quietMaxMs)} / ${fmt(s.stall.scrapingMaxMs)} | ${fmt(s.stall.stallMs)} | ${(s.memory.heapUsedBytes / 2 ** 20).toFixed(1)} MiB | ${perApi(s.memory.heapPerApiBytes)} | ${(s.memory.rssBytes / 2 ** 20).toFixed(1)} MiB | ${perApi(s.memory.rssPerApiBytes)} |`,
      )
    }
    out.push('')
  }
  if (r.proxy) {
    const p = r.proxy
    out.push(
      `**Proxy mode**: ${p.connections} connections, ${p.rounds} alternating rounds of ${p.roundSeconds} s, a before-callback forwarded to a node:http upstream.`,
      '',
      '| path | req/s | p50 ms | p99 ms |',
      '|---|---:|---:|---:|',
      `| upstream directly | ${p.direct.reqPerSec} | ${fmt(p.direct.p50Ms)} | ${fmt(p.direct.p99Ms)} |`,
      `| through the exporter | ${p.proxied.reqPerSec} | ${fmt(p.proxied.p50Ms)} | ${fmt(p.proxied.p99Ms)} |`,
      '',
      `Added latency: p50 **${fmt(p.addedP50Ms)} ms**, p99 **${fmt(p.addedP99Ms)} ms**.`,
      '',
    )
  }
  if (r.status) out.push(...renderStatusMarkdown(r.status))
  if (r.footprint) out.push(...renderFootprintMarkdown(r.footprint))
  if (r.egress) out.push(...renderEgressMarkdown(r.egress))
  if (r.soak) {
    const s = r.soak
    out.push(
      `**Soak**: ${s.rate} callbacks/s for ${s.seconds} s: RSS ${(s.rssFirstBytes / 2 ** 20).toFixed(1)} → ${(s.rssLastBytes / 2 ** 20).toFixed(1)} MiB (max ${(s.rssMaxBytes / 2 ** 20).toFixed(1)}), slope over the second half ${fmt(s.rssSlopeMiBPerHour)} MiB/hour (heap ${fmt(s.heapSlopeMiBPerHour)} MiB/hour).`,
      '',
    )
  }
  out.push(
    '**Targets** (figures, not test assertions):',
    '',
    '| target | goal | this run | met |',
    '|---|---|---:|---|',
  )
  for (const t of r.targets) {
    out.push(
      `| ${t.name} | ${t.goal} | ${fmt(t.value)} | ${t.met === undefined ? 'not measured' : t.met ? 'yes' : '**no**'} |`,
    )
  }
  return out.join('\n')
}

const EGRESS_ROWS = [
  ['direct', 'Chat directly (the client speaks TLS)'],
  ['meter', 'through the REST meter'],
  ['floor', 'through the floor (node:http + undici, no measurement)'],
  ['nginx', 'through nginx (one worker)'],
] as const

/** The REST meter's comparison: one row per path, then the ratios and the budget lines. */
export function renderEgressMarkdown(e: EgressResult): string[] {
  const out = [
    `**REST meter**: calls to ${e.apis.length} Chat REST APIs, answered by a stand-in for Chat over HTTPS; each hop takes plain HTTP on loopback and speaks HTTPS to it over keep-alive connections, verifying its certificate. ${e.connections} connections, median of ${e.rounds} alternating rounds of ${e.roundSeconds} s; then ${e.rounds} paced rounds of ${e.pacedSeconds} s at an even ${e.rate} calls/s. nginx ${e.nginxVersion}.`,
    '',
    `| path | calls/s | p50 ms | p99 ms | hop CPU µs/call | Chat stand-in CPU µs/call | load generator cores | p50 / p99 ms at ${e.rate}/s | p99 added at ${e.rate}/s | hop CPU µs/call at ${e.rate}/s |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const [path, label] of EGRESS_ROWS) {
    const p = e.paths[path]
    const added = path === 'direct' ? '–' : fmt(e.addedAtRate[path].p99Ms)
    out.push(
      `| ${label} | ${p.reqPerSec} | ${fmt(p.p50Ms)} | ${fmt(p.p99Ms)} | ${fmt(p.hopCpuMicros, 1)} | ${fmt(p.chatCpuMicros, 1)} | ${fmt(p.clientCores)} | ${fmt(p.atRate.p50Ms)} / ${fmt(p.atRate.p99Ms)} | ${added} | ${fmt(p.atRate.hopCpuMicros, 1)} |`,
    )
  }
  const { meterToFloor, meterToNginx, floorToNginx } = e.ratios
  const budget = checkEgressTargets(e)
  const met = (t: TargetCheck | undefined) =>
    t?.met === undefined ? 'not measured' : t.met ? 'met' : '**not met**'
  out.push(
    '',
    `Ratios (calls/s at ${e.connections} connections; CPU per call): meter/floor **${fmt(meterToFloor.reqPerSec)}** and **${fmt(meterToFloor.cpu)}×**; meter/nginx ${fmt(meterToNginx.reqPerSec)} and ${fmt(meterToNginx.cpu)}×; floor/nginx ${fmt(floorToNginx.reqPerSec)} and ${fmt(floorToNginx.cpu)}×. The meter counted ${e.meterCounts.counted} calls; ${e.meterCounts.answered} answers reached the client through it.`,
    '',
    '| budget line | goal | this run | met | beside nginx |',
    '|---|---|---:|---|---|',
    `| p99 added at ${e.rate} calls/s over direct (ms) | <= 1 | ${fmt(budget[0]?.value)} | ${met(budget[0])} | nginx adds ${fmt(e.addedAtRate.nginx.p99Ms)} |`,
    `| meter/floor calls/s | >= 0.8 | ${fmt(budget[1]?.value)} | ${met(budget[1])} | meter/nginx ${fmt(meterToNginx.reqPerSec)} |`,
    `| meter/floor CPU per call | <= 1.25 | ${fmt(budget[2]?.value)} | ${met(budget[2])} | meter/nginx ${fmt(meterToNginx.cpu)}× |`,
    '',
  )
  return out
}
