import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import bcrypt from 'bcrypt'
import { freePort } from '../../test/helpers/free-port.js'
import { makeCa, makeLeaf, serverSans } from '../../test/security/support/certificates.js'
import type { Builds } from '../lib/build.js'
import { TOKEN } from '../lib/callbacks.js'
import type { ServerProcess } from '../lib/children.js'
import { max, round } from '../lib/stats.js'
import { startExporter, startReference } from '../lib/targets.js'

/**
 * A sidecar's footprint: the resident memory of an idle exporter, paid once per app Pod. Each server
 * runs in its own process, all at the same time, for the same seconds: started, scraped every
 * `scrapeEverySeconds` as Prometheus would, its RSS read from /proc every second. "After start-up" is
 * the RSS after the first scrape; "settled" is the largest reading of the last third of the run (at
 * most 30 s), once V8 has given back what start-up used (its memory reducer runs when the process is
 * idle, after tens of seconds); "peak" is the kernel's high-water mark. Linux only.
 */
export interface FootprintOptions {
  builds: Builds
  seconds: number
  scrapeEverySeconds: number
  /** Another commit's build (bench/lib/build.ts, buildExporterAt), measured in the same run. */
  baseline?: { ref: string; entry: string }
  log: (line: string) => void
}

export interface FootprintRow {
  name: string
  description: string
  afterStartMiB: number
  settledMiB: number
  peakMiB: number
}

export interface FootprintFigures {
  seconds: number
  scrapeEverySeconds: number
  settleWindowSeconds: number
  rows: FootprintRow[]
}

interface Scraper {
  scrape(): Promise<void>
  close(): void
}

/** GETs a path over one keep-alive connection, as Prometheus does; throws on any answer but 200. */
function keepAliveGetter(url: string, tls?: { ca: Buffer; auth: string }): Scraper {
  const agent = tls
    ? new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: tls.ca })
    : new HttpAgent({ keepAlive: true, maxSockets: 1 })
  const get = tls ? httpsRequest : httpRequest
  return {
    scrape: () =>
      new Promise((resolve, reject) => {
        const req = get(url, { agent, ...(tls && { auth: tls.auth }), timeout: 10_000 }, (res) => {
          res.resume()
          res.on('end', () =>
            res.statusCode === 200 ? resolve() : reject(new Error(`${url} answered ${res.statusCode}`)),
          )
        })
        req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 10 s`)))
        req.on('error', reject)
        req.end()
      }),
    close: () => agent.destroy(),
  }
}

/** VmRSS and VmHWM of a process, in MiB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const mib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) / 1024
  return { rss: mib('VmRSS'), peak: mib('VmHWM') }
}

interface Running {
  server: ServerProcess
  scraper: Scraper
  /** What else happens once, right after the first scrape. */
  afterFirstScrape?: () => Promise<void>
}

interface Subject {
  name: string
  description: string
  start(): Promise<Running>
}

/** A web configuration with everything exporter-toolkit offers: TLS, basic auth, headers, a rate limit. */
function everyFeatureFiles(dir: string) {
  const ca = makeCa(join(dir, 'pki'), 'footprint-ca')
  const leaf = makeLeaf(join(dir, 'pki'), 'footprint-server', ca, { usage: 'serverAuth', sans: serverSans })
  const password = 'footprint-password'
  const webConfig = join(dir, 'web-config.yml')
  writeFileSync(
    webConfig,
    [
      'tls_server_config:',
      `  cert_file: ${leaf.cert}`,
      `  key_file: ${leaf.key}`,
      'http_server_config:',
      '  headers:',
      '    X-Content-Type-Options: nosniff',
      'basic_auth_users:',
      `  prometheus: ${bcrypt.hashSync(password, 10)}`,
      'rate_limit:',
      '  interval: 100ms',
      '  burst: 10',
      '',
    ].join('\n'),
  )
  const tokenFile = join(dir, 'callback-tokens')
  writeFileSync(tokenFile, `${TOKEN}\n`)
  return { webConfig, tokenFile, ca: readFileSync(ca.cert), auth: `prometheus:${password}` }
}

export async function benchFootprint(options: FootprintOptions): Promise<FootprintFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'tce-footprint-'))
  const files = everyFeatureFiles(dir)
  const started: Running[] = []
  try {
    // The bare server also stands in for the app that front-proxy mode forwards to.
    const bare = await startPlain('bare', options.builds.bare)
    const exporters = (entry: string, suffix: string, ref: string): Subject[] => [
      {
        name: `exporter, default configuration${suffix}`,
        description: `CALLBACK_TOKEN and SDKAPPIDS set, everything else at its default${ref}`,
        start: () => startExporterAt(entry, {}),
      },
      {
        name: `exporter, every feature on${suffix}`,
        description:
          'CALLBACK_TOKEN_FILE, METRICS_PORT, WEB_CONFIG_FILE (TLS, basic auth, headers, rate limit), ' +
          'UPSTREAM_URL (front-proxy mode) and EGRESS_PORT (the REST meter, idle); /metrics scraped ' +
          `over TLS with basic auth${ref}`,
        start: async () => {
          const metricsPort = await freePort()
          const egressPort = await freePort()
          return startExporterAt(
            entry,
            {
              CALLBACK_TOKEN: '',
              CALLBACK_TOKEN_FILE: files.tokenFile,
              METRICS_PORT: String(metricsPort),
              WEB_CONFIG_FILE: files.webConfig,
              UPSTREAM_URL: `${bare.server.url}/app`,
              EGRESS_PORT: String(egressPort),
            },
            { port: metricsPort, ca: files.ca, auth: files.auth },
          )
        },
      },
    ]
    const subjects: Subject[] = [
      {
        name: 'floor',
        description: 'Koa, @koa/router and koa-bodyparser answering OK (bench/servers/floor.ts)',
        start: () => startPlain('floor', options.builds.floor),
      },
      ...exporters(options.builds.exporter, '', ''),
      {
        name: 'exporter, default configuration, status page viewed',
        description:
          'as the default, after one GET of the status page (its number formatting loads ICU data)',
        start: async () => {
          const running = await startExporterAt(options.builds.exporter, {})
          const page = keepAliveGetter(`${running.server.url}/`)
          return {
            ...running,
            afterFirstScrape: async () => {
              await page.scrape()
              page.close()
            },
          }
        },
      },
      {
        name: 'exporter, default configuration, node --max-semi-space-size=1',
        description:
          "as the default, with V8's young generation capped at 1 MiB per semi-space (16 MiB by default " +
          'on this machine): a flag the command line would have to give',
        start: () => startExporterAt(options.builds.exporter, {}, undefined, ['--max-semi-space-size=1']),
      },
      ...(options.baseline
        ? exporters(
            options.baseline.entry,
            ` (${options.baseline.ref})`,
            `, built from ${options.baseline.ref}`,
          )
        : []),
    ]
    const runs = [bare, ...(await Promise.all(subjects.map((subject) => subject.start())))]
    started.push(...runs)
    const names = [
      { name: 'bare Node.js', description: 'node:http alone answering OK (bench/servers/bare.ts)' },
      ...subjects,
    ]
    options.log(
      `  ${runs.length} idle servers for ${options.seconds} s, scraped every ${options.scrapeEverySeconds} s`,
    )

    const readings: number[][] = runs.map(() => [])
    const afterStart: number[] = []
    await Promise.all(runs.map((run) => run.scraper.scrape()))
    await Promise.all(runs.map((run) => run.afterFirstScrape?.()))
    for (const run of runs) afterStart.push(memoryOf(run.server.pid).rss)
    for (let second = 1; second <= options.seconds; second++) {
      await delay(1000)
      if (second % options.scrapeEverySeconds === 0)
        await Promise.all(runs.map((run) => run.scraper.scrape()))
      for (const [i, run] of runs.entries()) readings[i]?.push(memoryOf(run.server.pid).rss)
    }
    const window = Math.max(1, Math.min(30, Math.floor(options.seconds / 3)))
    return {
      seconds: options.seconds,
      scrapeEverySeconds: options.scrapeEverySeconds,
      settleWindowSeconds: window,
      rows: runs.map((run, i) => ({
        name: names[i]?.name as string,
        description: names[i]?.description as string,
        afterStartMiB: round(afterStart[i] as number, 1),
        settledMiB: round(max((readings[i] as number[]).slice(-window)), 1),
        peakMiB: round(memoryOf(run.server.pid).peak, 1),
      })),
    }
  } finally {
    for (const run of started) run.scraper.close()
    await Promise.all(started.map((run) => run.server.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}

async function startPlain(name: 'bare' | 'floor', entry: string): Promise<Running> {
  const server = await startReference(name, entry)
  return { server, scraper: keepAliveGetter(`${server.url}/-/ready`) }
}

/**
 * The built exporter as a container runs it (`node src/main.js`, LOG_LEVEL at its default). `/metrics` is
 * scraped on the callback port, or on METRICS_PORT over TLS with basic auth when `metrics` says so.
 */
async function startExporterAt(
  entry: string,
  env: Record<string, string>,
  metrics?: { port: number; ca: Buffer; auth: string },
  nodeArgs: string[] = [],
): Promise<Running> {
  const server = await startExporter({
    entry,
    sdkAppIds: '1400000000',
    nodeArgs,
    env: { LOG_LEVEL: 'info', ...env },
  })
  const scraper = metrics
    ? keepAliveGetter(`https://127.0.0.1:${metrics.port}/metrics`, { ca: metrics.ca, auth: metrics.auth })
    : keepAliveGetter(`${server.url}/metrics`)
  return { server, scraper }
}

/** The footprint as Markdown, for the report. */
export function renderFootprintMarkdown(f: FootprintFigures): string[] {
  const bare = f.rows[0]?.settledMiB ?? Number.NaN
  return [
    `**Footprint**: idle servers side by side for ${f.seconds} s, scraped every ${f.scrapeEverySeconds} s; RSS after the first scrape, settled (the largest reading of the last ${f.settleWindowSeconds} s) and the peak.`,
    '',
    '| server | after start-up MiB | settled MiB | above bare Node MiB | peak MiB |',
    '|---|---:|---:|---:|---:|',
    ...f.rows.map(
      (r) =>
        `| ${r.name} | ${r.afterStartMiB.toFixed(1)} | ${r.settledMiB.toFixed(1)} | ${(r.settledMiB - bare).toFixed(1)} | ${r.peakMiB.toFixed(1)} |`,
    ),
    '',
  ]
}

export const settledOf = (f: FootprintFigures | undefined, name: string) =>
  f?.rows.find((r) => r.name === name)?.settledMiB
