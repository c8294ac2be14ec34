import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BenchResults } from '../../bench/report.js'

const run = promisify(execFile)
const finite = (value: unknown) => typeof value === 'number' && Number.isFinite(value)

/**
 * Runs `npm run bench:quick` end to end (real builds, real servers, real load on 127.0.0.1) to keep the
 * benchmark working. It asserts that the report is complete and well-formed, never how fast anything
 * was: CI machines vary, and the figures that matter come from a full run (BENCHMARKS.md).
 */
describe('bench --quick', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tce-bench-'))
  const out = join(dir, 'results.json')
  let stdout = ''
  let results: BenchResults

  beforeAll(async () => {
    const child = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--out', out], {
      cwd: join(import.meta.dirname, '../..'),
      timeout: 280_000,
      maxBuffer: 16 * 2 ** 20,
    })
    stdout = child.stdout
    results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults
  }, 300_000)

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('describes the run and the machine', () => {
    expect(results.schema).toBe(1)
    expect(results.mode).toBe('quick')
    expect(results.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(results.machine.cores).toBeGreaterThan(0)
    expect(results.machine.node).toBe(process.version)
    expect(results.machine.loadAverageAtStart).toHaveLength(3)
  })

  it('measures ingest for the three servers, with finite ratios', () => {
    const ingest = results.ingest
    if (ingest === undefined) throw new Error('no ingest figures')
    expect(ingest.connections).toBe(32)
    for (const target of ['bare', 'floor', 'exporter'] as const) {
      const figures = ingest.targets[target]
      expect(figures.rounds).toHaveLength(ingest.rounds)
      expect(figures.reqPerSec).toBeGreaterThan(0)
      const { atFixedRate } = figures
      for (const value of [
        figures.p50Ms,
        figures.p99Ms,
        figures.maxMs,
        atFixedRate.p50Ms,
        atFixedRate.p99Ms,
      ]) {
        expect(finite(value)).toBe(true)
      }
      expect(figures.p99Ms).toBeGreaterThanOrEqual(figures.p50Ms)
      for (const round of figures.rounds) expect(round.notOk + round.errors).toBe(0)
    }
    expect(finite(ingest.ratios.exporterToBare) && ingest.ratios.exporterToBare > 0).toBe(true)
    expect(finite(ingest.ratios.exporterToFloor) && ingest.ratios.exporterToFloor > 0).toBe(true)
  })

  it("times the exporter's own steps on a callback", () => {
    const steps = results.steps ?? []
    expect(steps.map((s) => s.step)).toContain('parsePayload')
    for (const step of steps) expect(finite(step.micros) && step.micros > 0).toBe(true)
  })

  it('measures /metrics in four variants at each size, gzip smaller than text', () => {
    const scale = results.scale ?? []
    expect(scale.map((s) => s.apis)).toEqual([100, 2000])
    for (const size of scale) {
      // Five series per tracked API, plus the exporter's own and the process metrics.
      expect(size.samples).toBeGreaterThan(5 * size.apis)
      expect(size.scrapes.map((s) => s.variant)).toEqual([
        'text',
        'text+gzip',
        'openmetrics',
        'openmetrics+gzip',
      ])
      for (const scrape of size.scrapes) {
        expect(scrape.bytes).toBeGreaterThan(0)
        expect(finite(scrape.medianMs) && finite(scrape.maxMs)).toBe(true)
      }
      const [text, gzip] = size.scrapes
      expect(gzip?.bytes).toBeLessThan(text?.bytes ?? 0)
      expect(size.stall.probes).toBeGreaterThan(0)
      expect(finite(size.stall.stallMs) && finite(size.stall.quietP50Ms)).toBe(true)
      expect(size.memory.heapUsedBytes).toBeGreaterThan(0)
      expect(size.memory.rssBytes).toBeGreaterThan(size.memory.heapUsedBytes)
    }
    const larger = scale[1]
    expect(larger?.samples).toBeGreaterThan(scale[0]?.samples ?? 0)
  })

  it('measures the front-proxy mode', () => {
    const proxy = results.proxy
    if (proxy === undefined) throw new Error('no proxy figures')
    for (const value of [proxy.direct.p50Ms, proxy.direct.p99Ms, proxy.proxied.p50Ms, proxy.proxied.p99Ms]) {
      expect(finite(value)).toBe(true)
    }
    expect(finite(proxy.addedP50Ms) && finite(proxy.addedP99Ms)).toBe(true)
    expect(stdout).toContain('**Proxy mode**')
  })

  it('measures the status page and its JSON at 2,000 APIs', () => {
    const status = results.status
    if (status === undefined) throw new Error('no status figures')
    expect(status.apis).toBe(2000)
    expect(status.paths.map((p) => p.path)).toEqual(['/', '/api/v1/status'])
    for (const path of status.paths) {
      expect(path.bytes).toBeGreaterThan(0)
      expect(finite(path.medianMs) && finite(path.maxMs)).toBe(true)
    }
    expect(status.stall.probes).toBeGreaterThan(0)
    expect(stdout).toContain('**Status page**')
  })

  it('compares the REST meter with Chat directly, its floor and nginx, and checks its budget', () => {
    const egress = results.egress
    if (egress === undefined) throw new Error('no egress figures')
    expect(egress.apis.length).toBeGreaterThan(1)
    expect(egress.nginxVersion).toMatch(/^nginx\/\d+\.\d+/)
    for (const path of ['direct', 'meter', 'floor', 'nginx'] as const) {
      const figures = egress.paths[path]
      expect(figures.rounds).toHaveLength(egress.rounds)
      expect(figures.pacedRounds).toHaveLength(egress.rounds)
      expect(figures.reqPerSec).toBeGreaterThan(0)
      for (const value of [figures.p50Ms, figures.p99Ms, figures.atRate.p50Ms, figures.atRate.p99Ms]) {
        expect(finite(value)).toBe(true)
      }
      expect(figures.p99Ms).toBeGreaterThanOrEqual(figures.p50Ms)
      // CPU per call is read from /proc: the hops' own, and the Chat stand-in's on every path.
      if (process.platform === 'linux') {
        expect(finite(figures.chatCpuMicros)).toBe(true)
        expect(finite(figures.hopCpuMicros)).toBe(path !== 'direct')
      }
    }
    for (const hop of ['meter', 'floor', 'nginx'] as const) {
      expect(finite(egress.addedAtRate[hop].p99Ms)).toBe(true)
    }
    expect(egress.ratios.meterToFloor.reqPerSec).toBeGreaterThan(0)
    expect(egress.ratios.meterToNginx.reqPerSec).toBeGreaterThan(0)
    // The meter measured every call that went through it.
    expect(egress.meterCounts.answered).toBeGreaterThan(0)
    expect(egress.meterCounts.counted).toBeGreaterThanOrEqual(egress.meterCounts.answered)
    const budget = results.targets.filter((t) => t.name.startsWith('REST meter'))
    expect(budget).toHaveLength(3)
    for (const line of budget) expect(typeof line.met).toBe('boolean')
    expect(stdout).toContain('**REST meter**')
    expect(stdout).toContain('| through nginx (one worker) |')
  })

  it('checks every target and prints the report', () => {
    expect(results.targets.length).toBeGreaterThanOrEqual(10)
    for (const target of results.targets) expect(target.goal).not.toBe('')
    expect(stdout).toContain('| exporter |')
    expect(stdout).toContain('**Targets**')
    expect(stdout).toContain(out)
  })
})
