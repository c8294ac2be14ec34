import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { alertBody, callbackUrl, postCallback } from '../helpers/callbacks.js'
import { freePort } from '../helpers/free-port.js'
import { SCRAPER_ACCEPT } from '../helpers/scraper-accept-headers.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import {
  findPrometheus2x,
  findTool,
  pinnedRelease,
  prometheus2xRelease,
  toolVersion,
} from '../helpers/tools.js'
import { startTool, type Tool, waitFor, waitReady } from './support/processes.js'
import { promQuery } from './support/stack.js'

// What real Prometheus servers send and get: the pinned 3.x with its default scrape protocols, with
// native histograms (protobuf first) and with legacy metric names (escaping=underscores), and Debian's
// 2.x (2.42 in Debian 12), whose release is read from the binary. The exporter's debug log records each
// scrape's Accept header and the type it answered; the headers must be the ones the negotiation table
// test (test/unit/metrics-negotiation.test.ts) was written against, and each Prometheus must have
// ingested the counters under their `_total` names.

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/** The Accept header of each Prometheus 2.x release the table has, by its minor version. */
const PROMETHEUS_2X_ACCEPT: Record<string, string> = {
  '2.42': SCRAPER_ACCEPT.prometheus2_42,
  '2.55': SCRAPER_ACCEPT.prometheus2_55,
}

/** Debian's Prometheus 2.x as installed here, and the header the table says it sends. */
function debianPrometheus(): { release: string; accept: string } {
  const release = prometheus2xRelease()
  const accept = PROMETHEUS_2X_ACCEPT[release.split('.').slice(0, 2).join('.')]
  if (accept === undefined) {
    throw new Error(
      `Debian's Prometheus is ${release}: add its Accept header to test/helpers/scraper-accept-headers.ts and PROMETHEUS_2X_ACCEPT`,
    )
  }
  return { release, accept }
}

const DEBIAN = debianPrometheus()

interface Server {
  name: string
  file: string
  userAgent: RegExp
  /** Scrape jobs, each with the Accept header it must send. */
  jobs: Array<{ job: string; settings: Record<string, unknown>; accept: string }>
}

const SERVERS: Server[] = [
  {
    name: 'pinned Prometheus 3.x',
    file: findTool('prometheus'),
    userAgent: new RegExp(`^Prometheus/${pinnedRelease('PROMETHEUS').replaceAll('.', '\\.')}$`),
    jobs: [
      { job: 'default', settings: {}, accept: SCRAPER_ACCEPT.prometheus3_16 },
      {
        job: 'native-histograms',
        settings: { scrape_native_histograms: true },
        accept: SCRAPER_ACCEPT.prometheus3_16ProtoFirst,
      },
      {
        job: 'legacy-names',
        settings: { metric_name_validation_scheme: 'legacy' },
        accept: SCRAPER_ACCEPT.prometheus3_16Legacy,
      },
    ],
  },
  {
    name: `Prometheus ${DEBIAN.release} (Debian)`,
    file: findPrometheus2x('prometheus'),
    userAgent: new RegExp(`^Prometheus/${DEBIAN.release.replaceAll('.', '\\.')}\\b`),
    jobs: [{ job: 'default', settings: {}, accept: DEBIAN.accept }],
  },
]

describe('scrape negotiation with real Prometheus servers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tce-negotiation-'))
  const tools: Tool[] = []
  const urls = new Map<string, string>()
  let exporter: TestExporter

  beforeAll(async () => {
    exporter = await startExporter()
    expect((await postCallback(callbackUrl(exporter.url), alertBody())).status).toBe(200)
    const target = new URL(exporter.metricsUrl).host
    for (const [index, server] of SERVERS.entries()) {
      const port = await freePort()
      const config = join(dir, `prometheus-${index}.yml`)
      writeFileSync(
        config,
        stringify({
          global: { scrape_interval: '1s' },
          scrape_configs: server.jobs.map(({ job, settings }) => ({
            job_name: job,
            static_configs: [{ targets: [target] }],
            ...settings,
          })),
        }),
      )
      const tool = startTool(server.name, server.file, [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, `data-${index}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ])
      tools.push(tool)
      urls.set(server.name, `http://127.0.0.1:${port}`)
      await waitReady(tool, `http://127.0.0.1:${port}/-/ready`)
    }
    // Every job of every server has scraped at least twice (the first scrape can race the start).
    await waitFor(
      'every scrape job to scrape the exporter',
      async () => {
        for (const server of SERVERS) {
          const result = await promQuery(urls.get(server.name) ?? '', 'count_over_time(up[1m]) >= 2')
          if ((result.data?.result.length ?? 0) < server.jobs.length) return undefined
        }
        return true
      },
      30_000,
    )
  }, 60_000)

  afterAll(async () => {
    await Promise.all(tools.map((tool) => tool.stop()))
    await exporter?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it(`runs the pinned Prometheus 3 and Debian's Prometheus ${DEBIAN.release}`, async () => {
    expect(await toolVersion(SERVERS[0]?.file ?? '')).toBe(pinnedRelease('PROMETHEUS'))
    expect(DEBIAN.release).toMatch(/^2\./)
  })

  it.each(SERVERS)('$name sends the Accept headers of the table and gets OpenMetrics 1.0.0', (server) => {
    const scrapes = exporter.logs.filter(
      (line) => line.msg === 'metrics scraped' && server.userAgent.test(String(line.user_agent)),
    )
    expect(new Set(scrapes.map((scrape) => scrape.accept))).toEqual(
      new Set(server.jobs.map((job) => job.accept)),
    )
    expect(new Set(scrapes.map((scrape) => scrape.content_type))).toEqual(new Set([OPENMETRICS]))
  })

  it.each(SERVERS)('$name scrapes every job without error and keeps the _total names', async (server) => {
    const url = urls.get(server.name) ?? ''
    for (const { job } of server.jobs) {
      const up = await promQuery(url, `up{job="${job}"}`)
      expect(up.data?.result[0]?.value, `${server.name} job ${job}`).toEqual([expect.any(Number), '1'])
      const counter = await promQuery(
        url,
        `tencent_chat_api_overlimit_alerts_total{job="${job}",command="batchsendmsg"}`,
      )
      expect(counter.data?.result[0]?.value, `${server.name} job ${job}`).toEqual([expect.any(Number), '1'])
    }
  })
})
