import type { Builds } from '../lib/build.js'
import { alertRequests, apiCatalog, CALLBACK_PATH, sdkAppIdsFor } from '../lib/callbacks.js'
import type { ServerProcess } from '../lib/children.js'
import { type LoadResult, runLoad } from '../lib/load.js'
import { type PacedResult, runPaced } from '../lib/paced.js'
import { median, round } from '../lib/stats.js'
import { startExporter, startReference } from '../lib/targets.js'

export interface IngestOptions {
  builds: Builds
  rounds: number
  roundSeconds: number
  warmupSeconds: number
  connections: number
  apis: number
  /** Requests per second for the round that measures latency below saturation. */
  fixedRate: number
  /** When set, every server runs under `node --cpu-prof` and writes `<target>.cpuprofile` here. */
  profileDir?: string
  log: (line: string) => void
}

export const TARGETS = ['bare', 'floor', 'exporter'] as const
export type Target = (typeof TARGETS)[number]

export interface TargetFigures {
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  clientCores: number
  /** Server CPU time per request (µs), median over rounds; undefined without /proc. */
  serverCpuMicros: number | undefined
  /** Latency below saturation: one round at `IngestResult.fixedRate` requests per second. */
  atFixedRate: { p50Ms: number; p99Ms: number }
  rounds: LoadResult[]
}

export interface IngestResult {
  connections: number
  rounds: number
  roundSeconds: number
  apis: number
  /** Requests per second of the fixed-rate round, over the same connections. */
  fixedRate: number
  targets: Record<Target, TargetFigures>
  /** Median req/s of the exporter over that of the other server. */
  ratios: { exporterToBare: number; exporterToFloor: number }
  /** Server CPU per request of the exporter over that of the other server (higher = costlier). */
  cpuRatios: { exporterToBare: number | undefined; exporterToFloor: number | undefined }
}

const optionalRound = (value: number, decimals: number) =>
  Number.isFinite(value) ? round(value, decimals) : undefined
const cpuRatio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : round(a / b, 2)

/**
 * Signed Alert.RequestOverLimit callbacks over keep-alive connections, in rounds that alternate between
 * the three servers (the order rotating each round) so that drift of the machine hits all of them alike.
 * The figures of each server are the medians over its rounds.
 */
export async function benchIngest(options: IngestOptions): Promise<IngestResult> {
  const apis = apiCatalog(options.apis)
  const profile = (target: Target) =>
    options.profileDir === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-dir', options.profileDir, '--cpu-prof-name', `${target}.cpuprofile`]
  const servers: Record<Target, ServerProcess> = {
    bare: await startReference('bare', options.builds.bare, profile('bare')),
    floor: await startReference('floor', options.builds.floor, profile('floor')),
    exporter: await startExporter({
      entry: options.builds.exporter,
      sdkAppIds: sdkAppIdsFor(options.apis),
      nodeArgs: profile('exporter'),
    }),
  }
  try {
    const runRound = async (target: Target, seconds: number) => {
      // Signed afresh for every round: RequestTime must stay within 60 s of the exporter's clock.
      const result = await runLoad({
        url: servers[target].url + CALLBACK_PATH,
        serverPid: servers[target].pid,
        requests: alertRequests(apis),
        connections: options.connections,
        durationSeconds: seconds,
      })
      if (result.notOk > 0 || result.errors > 0) {
        throw new Error(
          `${target}: ${result.notOk} answers other than 200 and ${result.errors} errors in a round:\n${servers[target].output()}`,
        )
      }
      return result
    }

    for (const target of TARGETS) await runRound(target, options.warmupSeconds)
    const rounds: Record<Target, LoadResult[]> = { bare: [], floor: [], exporter: [] }
    for (let i = 0; i < options.rounds; i++) {
      const order = TARGETS.map((_, k) => TARGETS[(i + k) % TARGETS.length] as Target)
      for (const target of order) {
        const result = await runRound(target, options.roundSeconds)
        rounds[target].push(result)
        options.log(
          `  round ${i + 1}/${options.rounds} ${target.padEnd(8)} ${Math.round(result.reqPerSec)} req/s, p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, ${result.serverCpuMicros?.toFixed(0)} µs CPU/req`,
        )
      }
    }

    // At saturation, 32 requests in flight wait their turn (latency ≈ 32 / throughput, even for the
    // ceiling); a round at an even, fixed rate shows what one callback costs when the server keeps up.
    const atFixedRate = {} as Record<Target, PacedResult>
    for (const target of TARGETS) {
      const result = await runPaced({
        origin: servers[target].url,
        requests: alertRequests(apis),
        rate: options.fixedRate,
        seconds: Math.max(1, options.roundSeconds / 2),
        connections: options.connections,
      })
      if (result.notOk > 0) throw new Error(`${target}: ${result.notOk} failed requests at a fixed rate`)
      atFixedRate[target] = result
    }

    const figures = (target: Target): TargetFigures => {
      const list = rounds[target]
      return {
        reqPerSec: Math.round(median(list.map((r) => r.reqPerSec))),
        p50Ms: round(median(list.map((r) => r.p50Ms))),
        p99Ms: round(median(list.map((r) => r.p99Ms))),
        maxMs: round(median(list.map((r) => r.maxMs))),
        clientCores: round(median(list.map((r) => r.clientCores)), 2),
        serverCpuMicros: optionalRound(median(list.map((r) => r.serverCpuMicros ?? Number.NaN)), 1),
        atFixedRate: { p50Ms: round(atFixedRate[target].p50Ms), p99Ms: round(atFixedRate[target].p99Ms) },
        rounds: list.map((r) => ({
          ...r,
          reqPerSec: Math.round(r.reqPerSec),
          p50Ms: round(r.p50Ms),
          p99Ms: round(r.p99Ms),
          maxMs: round(r.maxMs),
          clientCores: round(r.clientCores, 2),
          serverCpuMicros: r.serverCpuMicros === undefined ? undefined : round(r.serverCpuMicros, 1),
        })),
      }
    }
    const targets = { bare: figures('bare'), floor: figures('floor'), exporter: figures('exporter') }
    return {
      connections: options.connections,
      rounds: options.rounds,
      roundSeconds: options.roundSeconds,
      apis: options.apis,
      fixedRate: options.fixedRate,
      targets,
      ratios: {
        exporterToBare: round(targets.exporter.reqPerSec / targets.bare.reqPerSec),
        exporterToFloor: round(targets.exporter.reqPerSec / targets.floor.reqPerSec),
      },
      cpuRatios: {
        exporterToBare: cpuRatio(targets.exporter.serverCpuMicros, targets.bare.serverCpuMicros),
        exporterToFloor: cpuRatio(targets.exporter.serverCpuMicros, targets.floor.serverCpuMicros),
      },
    }
  } finally {
    await Promise.all(Object.values(servers).map((server) => server.stop()))
  }
}
