import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort } from '../test/helpers/free-port.js'
import { buildAll, buildExporterAt } from './lib/build.js'
import { alertRequests, apiCatalog, CALLBACK_PATH, sdkAppIdsFor, TOKEN } from './lib/callbacks.js'
import { type ServerProcess, spawnServer } from './lib/children.js'
import { runLoad } from './lib/load.js'
import { runMain } from './lib/run-main.js'
import { median } from './lib/stats.js'

/**
 * Where the exporter's CPU per callback goes above the floor: variants of the same production build with
 * one part left out each, in alternating rounds of signed alerts over 32 connections. Usage:
 * `npx tsx bench/attribute.ts [--rounds 3] [--seconds 5] [--only floor,exporter] [--baseline REF]`. Prints the
 * median server CPU per request. `--only main,baseline --baseline main` compares the working tree's
 * exporter with main's.
 */
const VARIANTS = {
  floor: 'Koa, @koa/router, koa-bodyparser answering OK (bench/servers/floor.ts)',
  'floor+middlewares':
    "the floor with the exporter's middleware in front of every request (duration, error answers)",
  'exporter-without-token': 'the exporter without CALLBACK_TOKEN (no Sign check)',
  'exporter-without-default-metrics': "the exporter without prom-client's default metrics",
  'exporter-without-gc-observer': "the exporter with prom-client's default metrics but their GC observer",
  'exporter-without-eventloop-monitor':
    "the exporter with prom-client's default metrics but their event-loop-delay monitor",
  exporter: 'the exporter as it runs',
  main: "this build's src/main.js, as a container runs it",
  baseline: 'src/main.js built from --baseline REF (another commit, to compare a change in the same run)',
} as const
type Variant = keyof typeof VARIANTS

const { values: flags } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    /** Comma-separated variants to run (default: all). */
    only: { type: 'string' },
    /** A git ref whose src/main.js the `baseline` variant runs. */
    baseline: { type: 'string' },
  },
})

/** A server module for a variant, importing the build's own modules. */
function variantSource(src: string, variant: Variant): string {
  return `
import { createRequire } from 'node:module'
import Router from '@koa/router'
import Koa from 'koa'
import bodyParser from 'koa-bodyparser'
import { Registry } from 'prom-client'
import { createExporter } from '${src}/app.js'
import { systemClock } from '${src}/clock.js'
import { loadConfig } from '${src}/config/config.js'
import { everyRequest } from '${src}/http/every-request.js'
import { createLogger } from '${src}/logging/logger.js'
import { httpRequestDuration } from '${src}/metrics/catalog.js'
import { histogramOf } from '${src}/metrics/instruments.js'
const variant = ${JSON.stringify(variant)}
let app
if (variant === 'floor+middlewares') {
  const requestDuration = histogramOf(httpRequestDuration, new Registry())
  const router = new Router()
  router.get('/-/ready', (ctx) => { ctx.body = 'ok' })
  const parse = bodyParser({ enableTypes: ['json'], detectJSON: () => true, jsonLimit: '262144', strict: false, onProtoPoisoning: 'ignore' })
  router.post('/callback', parse, (ctx) => {
    ctx.status = 200
    ctx.type = 'application/json; charset=utf-8'
    ctx.body = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'
  })
  app = new Koa()
  app.silent = true
  app.use(everyRequest(requestDuration, createLogger('warn')))
  app.use(router.routes())
  app.use(router.allowedMethods())
} else {
  const env = { ...process.env }
  if (variant === 'exporter-without-token') delete env.CALLBACK_TOKEN
  const registry = new Registry()
  const partialDefaults = variant === 'exporter-without-gc-observer' || variant === 'exporter-without-eventloop-monitor'
  const exporter = createExporter({
    config: loadConfig(env),
    registry,
    logger: createLogger('warn'),
    clock: systemClock,
    defaultMetrics: variant !== 'exporter-without-default-metrics' && !partialDefaults,
  })
  if (partialDefaults) {
    // prom-client's default metrics one module at a time (its collectDefaultMetrics calls each so), but one.
    const left = variant === 'exporter-without-gc-observer' ? 'gc' : 'eventLoopLag'
    const modules = ['processCpuTotal', 'processStartTime', 'osMemoryHeap', 'processOpenFileDescriptors',
      'processMaxFileDescriptors', 'eventLoopLag', 'processResources', 'processHandles', 'processRequests',
      'heapSizeAndUsed', 'heapSpacesSizeAndUsed', 'version', 'gc']
    const require = createRequire(import.meta.url)
    for (const name of modules) {
      if (name !== left) require('prom-client/lib/metrics/' + name + '.js')(registry, { eventLoopMonitoringPrecision: 10 })
    }
  }
  exporter.readiness.ready = true
  app = exporter.app
}
const server = app.listen(Number(process.env.PORT), '127.0.0.1')
server.keepAliveTimeout = 65_000
process.on('SIGTERM', () => process.exit(0))
`
}

async function main(): Promise<void> {
  const builds = buildAll()
  const src = dirname(builds.exporter)
  const apis = apiCatalog(300)
  const servers = {} as Record<Variant, ServerProcess>
  const variants = (flags.only?.split(',') ??
    Object.keys(VARIANTS).filter((v) => v !== 'main' && v !== 'baseline')) as Variant[]
  for (const variant of variants) if (!(variant in VARIANTS)) throw new Error(`unknown variant ${variant}`)
  if (variants.includes('baseline') && flags.baseline === undefined)
    throw new Error('baseline needs --baseline REF')
  for (const variant of variants) {
    const port = await freePort()
    let entry = builds.floor
    if (variant === 'main') entry = builds.exporter
    else if (variant === 'baseline') entry = buildExporterAt(flags.baseline as string)
    else if (variant !== 'floor') {
      entry = join(dirname(builds.floor), `variant-${variant}.mjs`)
      writeFileSync(entry, variantSource(src, variant))
    }
    servers[variant] = await spawnServer({
      name: variant,
      args: [entry],
      readyPath: '/-/ready',
      port,
      env: {
        PORT: String(port),
        CALLBACK_TOKEN: TOKEN,
        SDKAPPIDS: sdkAppIdsFor(300),
        LOG_LEVEL: 'warn',
        CALLBACK_PATH,
      },
    })
  }
  const cpu = Object.fromEntries(variants.map((v) => [v, [] as number[]])) as Record<Variant, number[]>
  const rounds = Number(flags.rounds)
  // Round -1 warms every server up; the order rotates so that drift of the machine hits all alike.
  for (let round = -1; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(k + Math.max(round, 0)) % variants.length] as Variant
      const server = servers[variant]
      const result = await runLoad({
        url: server.url + CALLBACK_PATH,
        serverPid: server.pid,
        requests: alertRequests(apis),
        connections: 32,
        durationSeconds: round < 0 ? 2 : Number(flags.seconds),
      })
      if (result.notOk > 0 || result.errors > 0)
        throw new Error(`${variant} failed requests:\n${server.output()}`)
      if (round >= 0) cpu[variant].push(result.serverCpuMicros ?? Number.NaN)
    }
  }
  for (const variant of variants) {
    const rounds = cpu[variant].map((x) => x.toFixed(0)).join(' ')
    process.stdout.write(
      `${median(cpu[variant]).toFixed(1).padStart(6)} µs/req  ${variant.padEnd(34)} ${VARIANTS[variant]} (rounds: ${rounds})\n`,
    )
  }
  await Promise.all(Object.values(servers).map((server) => server.stop()))
}

runMain('attribute', main)
