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

  beforeAll(async () => {
    exporter = await startExporter()
    const response = await fetch(`${exporter.metricsUrl}/metrics`)
    families = familiesOf(await response.text())
  })

  afterAll(async () => {
    await exporter?.close()
  })

  it('reads the families from the running exporter', () => {
    expect(families).toContain('tencent_chat_api_utilization_ratio')
    expect(families).toContain('tencent_chat_exporter_callbacks_total')
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
