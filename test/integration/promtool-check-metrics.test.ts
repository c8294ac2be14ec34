import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl, postCallback, SDKAPPID } from '../helpers/callbacks.js'
import { type PromtoolResult, promtoolCheckMetrics } from '../helpers/promtool.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

// `promtool check metrics` (Prometheus's own linter and parser) on live scrapes of the exporter, with
// every kind of series present: API alerts, a group quota alarm, another command, a rejection.

const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8'

/**
 * promtool's findings that we accept, and why: prom-client's default metrics name three gauges
 * `nodejs_active_*_total`. Those names are prom-client's public interface (Node.js dashboards query
 * them), not ours to change; the exporter's own families must pass with no finding at all (below).
 */
const ACCEPTED_FINDINGS = new Set(
  ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'].map(
    (name) => `${name} non-counter metrics should not have "_total" suffix`,
  ),
)

/** Exit 0, or exit 3 (lint findings, parsed fine) with accepted findings only; returns the rest. */
function unexpectedFindings(result: PromtoolResult): string[] {
  const findings = result.output.split('\n').filter((line) => line !== '')
  if (result.code === 0 && findings.length === 0) return []
  if (result.code !== 3) return [`promtool exited ${result.code}: ${result.output}`]
  return findings.filter((finding) => !ACCEPTED_FINDINGS.has(finding))
}

/** Keeps the metric families whose name starts with the prefix (each family starts at its # HELP). */
function familiesStartingWith(exposition: string, prefix: string): string {
  return exposition
    .split(/(?=^# HELP )/m)
    .filter((family) => family.startsWith(`# HELP ${prefix}`))
    .join('')
}

async function scrape(base: string, accept?: string) {
  const response = await fetch(`${base}/metrics`, accept ? { headers: { accept } } : {})
  expect(response.status).toBe(200)
  return { type: response.headers.get('content-type'), body: await response.text() }
}

let exporter: TestExporter

beforeAll(async () => {
  exporter = await startExporter()
  const sends = [
    postCallback(callbackUrl(exporter.url), alertBody()),
    postCallback(
      callbackUrl(exporter.url),
      alertBody({ ServiceName: 'group_open_http_svc', Command: 'create_group' }),
    ),
    // Limit 0: requests and limit are exposed, the utilisation is absent.
    postCallback(callbackUrl(exporter.url), alertBody({ Command: 'sendmsg', Request: '7', Limit: 0 })),
    postCallback(
      callbackUrl(exporter.url, { command: 'Group.CallbackOnDailyGroupQuotaAlarm' }),
      JSON.stringify({
        CallbackCommand: 'Group.CallbackOnDailyGroupQuotaAlarm',
        QuotaUsed: 7321,
        Quota: 10000,
        EventTime: '1670574414123',
      }),
    ),
    postCallback(
      callbackUrl(exporter.url, { command: 'State.StateChange' }),
      '{"CallbackCommand":"State.StateChange"}',
    ),
    postCallback(callbackUrl(exporter.url), '{"broken'),
  ]
  const statuses = (await Promise.all(sends)).map((answer) => answer.status)
  expect(statuses).toEqual([200, 200, 200, 200, 200, 400])
})

afterAll(async () => {
  await exporter?.close()
})

describe('promtool check metrics on live scrapes', () => {
  it('finds no problem in the text format', async () => {
    const { type, body } = await scrape(exporter.metricsUrl)
    expect(type).toBe(TEXT_FORMAT)
    // The scrape really holds the series promtool is meant to judge.
    for (const name of [
      'tencent_chat_api_utilization_ratio{',
      'tencent_chat_group_daily_quota_utilization_ratio{',
      'tencent_chat_exporter_callbacks_total{',
      `tencent_chat_exporter_rejected_callbacks_total{reason="malformed_json"} 1`,
      'tencent_chat_exporter_http_request_duration_seconds_bucket{',
      `sdkappid="${SDKAPPID}"`,
    ]) {
      expect(body).toContain(name)
    }
    expect(unexpectedFindings(await promtoolCheckMetrics(body))).toEqual([])
    const own = familiesStartingWith(body, 'tencent_chat_')
    expect(own).toContain('# TYPE tencent_chat_exporter_build_info gauge')
    expect(await promtoolCheckMetrics(own)).toEqual({ code: 0, output: '' })
  })

  it('finds no problem in a text scrape that follows an OpenMetrics scrape', async () => {
    const openMetrics = await scrape(exporter.metricsUrl, 'application/openmetrics-text; version=1.0.0')
    expect(openMetrics.type).toMatch(/^application\/openmetrics-text; version=1\.0\.0/)
    expect(openMetrics.body.trimEnd().endsWith('# EOF')).toBe(true)
    const { type, body } = await scrape(exporter.metricsUrl)
    expect(type).toBe(TEXT_FORMAT)
    expect(body).not.toContain('# EOF')
    expect(unexpectedFindings(await promtoolCheckMetrics(body))).toEqual([])
    expect(await promtoolCheckMetrics(familiesStartingWith(body, 'tencent_chat_'))).toEqual({
      code: 0,
      output: '',
    })
  })

  it('catches a broken exposition (so that a pass above means something)', async () => {
    const { body } = await scrape(exporter.metricsUrl)
    const broken = `${body}# TYPE tencent_chat_broken counter\ntencent_chat_broken 1\n`
    const result = await promtoolCheckMetrics(broken)
    expect(result.code).not.toBe(0)
    expect(result.output).toContain('tencent_chat_broken')
  })
})
