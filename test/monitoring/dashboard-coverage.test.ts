import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboards } from '../../grafana/src/index.js'
import { monitoringConfig } from '../../prometheus/config.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { panelQueries } from './dashboard-queries.js'

// Front-proxy mode's families exist only when UPSTREAM_URL is set; the dashboards must show them anyway.
const FRONT_PROXY_FAMILIES = [
  'tencent_chat_exporter_upstream_requests_total',
  'tencent_chat_exporter_upstream_request_duration_seconds',
  'tencent_chat_callback_decisions_total',
]

/** Metric family names from `# TYPE` lines, with the `_total` that the text format keeps on counters. */
function familiesOf(exposition: string): string[] {
  return exposition
    .split('\n')
    .filter((line) => line.startsWith('# TYPE '))
    .map((line) => line.split(' ')[2] as string)
}

describe('dashboard coverage of the exported metrics', () => {
  let exporter: TestExporter
  let families: string[]

  const dir = mkdtempSync(join(tmpdir(), 'tce-coverage-'))

  beforeAll(async () => {
    // With the REST meter and API_LIMITS_FILE, whose families exist only then; the meter never calls Chat here.
    const limitsFile = join(dir, 'api-limits.yaml')
    writeFileSync(limitsFile, 'openim/sendmsg: 100\n')
    exporter = await startExporter({
      config: {
        egress: {
          port: 0,
          host: '127.0.0.1',
          chatRestUrl: new URL('https://chat.invalid'),
          timeoutMs: 1000,
          extraCa: undefined,
          bodyLimitBytes: 1024 * 1024,
        },
        apiLimitsFile: { path: limitsFile, limits: new Map([['openim/sendmsg', 100]]), content: '' },
      },
    })
    const response = await fetch(`${exporter.metricsUrl}/metrics`)
    families = familiesOf(await response.text())
  })

  afterAll(async () => {
    await exporter?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('reads the families from the running exporter', () => {
    expect(families).toContain('tencent_chat_api_utilization_ratio')
    expect(families).toContain('tencent_chat_exporter_callbacks_total')
    expect(families).toContain('tencent_chat_rest_requests_total')
    expect(families).toContain('tencent_chat_exporter_api_limits_file_last_reload_successful')
  })

  it('shows every tencent_chat_* family in some panel', () => {
    const exprs = Object.values(dashboards(monitoringConfig))
      .flatMap(panelQueries)
      .map((query) => query.expr)
    const wanted = [
      ...new Set([...families.filter((name) => name.startsWith('tencent_chat_')), ...FRONT_PROXY_FAMILIES]),
    ]
    const missing = wanted.filter(
      (family) => !exprs.some((expr) => new RegExp(`\\b${family}(_bucket|_count|_sum)?\\b`).test(expr)),
    )
    expect(missing).toEqual([])
  })
})
