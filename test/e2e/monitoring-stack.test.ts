import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboards } from '../../grafana/src/index.js'
import { monitoringConfig } from '../../prometheus/config.js'
import { parseOptions } from '../../scripts/simulator/options.js'
import { runSimulation, type SimulationSummary } from '../../scripts/simulator/run.js'
import { SCRAPER_ACCEPT } from '../helpers/scraper-accept-headers.js'
import { pinnedRelease, toolVersion } from '../helpers/tools.js'
import {
  annotationQueries,
  panelQueries,
  substitute,
  variableAsPromql,
  variableQueries,
} from '../monitoring/dashboard-queries.js'
import { waitFor } from './support/processes.js'
import {
  alertmanagerAlerts,
  E2E_SDKAPPID,
  E2E_TOKEN,
  prometheusAlerts,
  promQuery,
  type Stack,
  startStack,
} from './support/stack.js'

// The whole bundle against real tools, the current releases pinned in tools/versions.env: the
// simulator's signed alarms reach the exporter, Prometheus scrapes it and evaluates the bundled rules,
// Alertmanager routes with the bundled configuration, and the dashboards' queries run against that
// Prometheus. About 45 s, most of it Alertmanager's
// group_wait of the example configuration (10 s for pages, 30 s for chat).

const GRAFANA = { rateInterval: '5s', range: '1m' }
const OVER_LIMIT_API = { sdkappid: E2E_SDKAPPID, service_name: 'openim', command: 'batchsendmsg' }
const NEAR_LIMIT_API = { sdkappid: E2E_SDKAPPID, service_name: 'openim', command: 'sendmsg' }

/** Panels that must show data once the simulator has run: the ones an on-call engineer reads first. */
const CORE_PANELS = [
  'APIs above 80% of their limit',
  'APIs over their limit',
  'Tracked APIs',
  'Utilisation per API',
  'QPS against limit',
  'Rate-limit alarms per minute',
  'Highest group daily quota use',
  'Group daily quota used',
  'Replicas up',
  'Version',
  'Callbacks by command',
  'Rejections by reason',
  'Tracked APIs against the cap',
  'Request latency percentiles',
  'Resident memory',
  'Event-loop lag (p99)',
]

interface WebhookPayload {
  receiver: string
  alerts: Array<{ status: string; labels: Record<string, string>; annotations: Record<string, string> }>
}

const matches = (labels: Record<string, string>, wanted: Record<string, string>) =>
  Object.entries(wanted).every(([name, value]) => labels[name] === value)

describe('monitoring bundle end to end', () => {
  let stack: Stack
  let summary: SimulationSummary

  beforeAll(async () => {
    stack = await startStack()
    await waitFor(
      'Prometheus to scrape the exporter',
      async () => {
        const result = await promQuery(stack.prometheusUrl, `up{job="${monitoringConfig.jobName}"} == 1`)
        return result.data?.result.length ? true : undefined
      },
      20_000,
    )
    const options = parseOptions(
      [
        ...['--url', `${stack.exporter.url}/callback`, '--token', E2E_TOKEN, '--sdkappid', E2E_SDKAPPID],
        ...['--duration', '8', '--interval', '0.5'],
      ],
      {},
    )
    if (options === 'help') throw new Error('unexpected help')
    summary = await runSimulation(options)
  }, 45_000)

  afterAll(async () => {
    await stack?.stop()
  })

  it('runs the pinned Prometheus and Alertmanager', async () => {
    expect(await toolVersion(stack.binaries.prometheus)).toBe(pinnedRelease('PROMETHEUS'))
    expect(await toolVersion(stack.binaries.alertmanager)).toBe(pinnedRelease('ALERTMANAGER'))
  })

  it('is scraped in OpenMetrics 1.0.0, as Prometheus 3 negotiates it', () => {
    const scrapes = stack.exporter.logs.filter((line) => line.msg === 'metrics scraped')
    expect(scrapes.length).toBeGreaterThan(0)
    for (const scrape of scrapes) {
      expect(scrape.user_agent).toBe(`Prometheus/${pinnedRelease('PROMETHEUS')}`)
      expect(scrape.accept).toBe(SCRAPER_ACCEPT.prometheus3_16)
      expect(scrape.content_type).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8')
    }
  })

  it('evaluates every bundled rule without error', async () => {
    const response = await fetch(`${stack.prometheusUrl}/api/v1/rules`)
    const body = (await response.json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> }
    }
    const rules = body.data.groups.flatMap((group) => group.rules)
    expect(rules.length).toBeGreaterThan(0)
    expect(rules.filter((rule) => rule.health !== 'ok')).toEqual([])
  })

  it('has every simulated alarm accepted', () => {
    expect(summary.failed).toBe(0)
    expect(summary.sent).toBeGreaterThan(40)
  })

  it('fires the over-limit alert with its labels, and only a warning for the near-limit API', async () => {
    const alerts = await waitFor(
      'TencentChatApiOverRateLimit to fire',
      async () => {
        const firing = (await prometheusAlerts(stack)).filter((alert) => alert.state === 'firing')
        return firing.some((alert) => alert.labels.alertname === 'TencentChatApiOverRateLimit')
          ? firing
          : undefined
      },
      15_000,
    )
    const critical = alerts.filter((alert) => alert.labels.alertname === 'TencentChatApiOverRateLimit')
    const page = critical.find((alert) => matches(alert.labels, OVER_LIMIT_API))
    expect(page?.labels).toEqual({
      alertname: 'TencentChatApiOverRateLimit',
      severity: 'critical',
      job: monitoringConfig.jobName,
      ...OVER_LIMIT_API,
    })
    expect(page?.annotations.description).toMatch(
      /^v4\/openim\/batchsendmsg of SDKAppID 1400000001 runs at [\d.]+%/,
    )
    expect(critical.some((alert) => matches(alert.labels, NEAR_LIMIT_API))).toBe(false)
    const warnings = alerts.filter((alert) => alert.labels.alertname === 'TencentChatApiNearRateLimit')
    expect(warnings.some((alert) => matches(alert.labels, NEAR_LIMIT_API))).toBe(true)
    expect(alerts.some((alert) => alert.labels.alertname === 'TencentChatGroupDailyQuotaNearLimit')).toBe(
      true,
    )
  })

  it('runs every dashboard panel, variable and annotation query without error, warning or info', async () => {
    const all = Object.values(dashboards(monitoringConfig))
    const queries = [
      ...all
        .flatMap(panelQueries)
        .map((query) => ({ what: `${query.dashboard} / ${query.panel}`, ...query })),
      ...all.flatMap(variableQueries).map((variable) => ({
        what: `${variable.dashboard} / $${variable.variable}`,
        expr: variableAsPromql(variable.query),
        instant: true,
      })),
      ...all.flatMap(annotationQueries).map((annotation) => ({
        what: `${annotation.dashboard} / annotation ${annotation.annotation}`,
        expr: annotation.expr,
        instant: false,
      })),
    ]
    expect(queries.length).toBeGreaterThan(40)
    const failures: string[] = []
    for (const query of queries) {
      const expr = substitute(query.expr, GRAFANA)
      const result = await promQuery(stack.prometheusUrl, expr, query.instant ? undefined : 60)
      if (result.status !== 'success') failures.push(`${query.what}: ${result.error} in ${expr}`)
      // Prometheus 3 annotates queries it thinks wrong (a rate() of a gauge, buckets out of order).
      for (const note of [...(result.warnings ?? []), ...(result.infos ?? [])])
        failures.push(`${query.what}: ${note} in ${expr}`)
    }
    expect(failures).toEqual([])
  })

  it('shows data in the core panels', async () => {
    const queries = Object.values(dashboards(monitoringConfig)).flatMap(panelQueries)
    const empty: string[] = []
    for (const title of CORE_PANELS) {
      const panel = queries.filter((query) => query.panel === title)
      expect(panel.length, title).toBeGreaterThan(0)
      const results = await Promise.all(
        panel.map((query) =>
          promQuery(stack.prometheusUrl, substitute(query.expr, GRAFANA), query.instant ? undefined : 60),
        ),
      )
      if (!results.some((result) => (result.data?.result.length ?? 0) > 0)) empty.push(title)
    }
    expect(empty).toEqual([])

    const counts = async (title: string) => {
      const query = queries.find((candidate) => candidate.panel === title)
      const result = await promQuery(stack.prometheusUrl, substitute(query?.expr ?? '', GRAFANA))
      return Number((result.data?.result[0]?.value as [number, string] | undefined)?.[1])
    }
    // The alert annotation marks the firing alerts (the REST dashboard's throttling marks are the REST test's).
    const alertAnnotations = Object.values(dashboards(monitoringConfig))
      .flatMap(annotationQueries)
      .filter((annotation) => annotation.expr.startsWith('ALERTS{'))
    expect(alertAnnotations.length).toBeGreaterThanOrEqual(2)
    for (const annotation of alertAnnotations) {
      const result = await promQuery(stack.prometheusUrl, substitute(annotation.expr, GRAFANA), 60)
      const names = result.data?.result.map((series) => series.metric.alertname)
      expect(names, annotation.annotation).toContain('TencentChatApiOverRateLimit')
    }

    // batchsendmsg at 255% and send_group_msg at 115% of their limits; sendmsg near at 95%.
    expect(await counts('APIs over their limit')).toBe(2)
    expect(await counts('APIs above 80% of their limit')).toBe(3)
  })

  it('delivers the page to the pager webhook through Alertmanager', async () => {
    const page = await waitFor(
      'the pager webhook to receive TencentChatApiOverRateLimit',
      async () => {
        for (const request of stack.webhook.requests.filter(
          (candidate) => candidate.path === '/pager/webhook',
        )) {
          const payload = JSON.parse(request.body) as WebhookPayload
          const alert = payload.alerts.find(
            (candidate) =>
              candidate.labels.alertname === 'TencentChatApiOverRateLimit' &&
              matches(candidate.labels, OVER_LIMIT_API),
          )
          if (alert) return { payload, alert }
        }
        return undefined
      },
      30_000,
    )
    expect(page.payload.receiver).toBe('pager')
    expect(page.alert.status).toBe('firing')
    expect(page.alert.labels.severity).toBe('critical')
    expect(page.alert.annotations.runbook_url).toBe(
      `${monitoringConfig.runbookUrl}#tencentchatapioverratelimit`,
    )
  }, 35_000)

  it("inhibits the over-limit API's near-limit warning in Alertmanager", async () => {
    const alerts = await alertmanagerAlerts(stack)
    const warning = alerts.find(
      (alert) =>
        alert.labels.alertname === 'TencentChatApiNearRateLimit' && matches(alert.labels, OVER_LIMIT_API),
    )
    expect(warning?.status.state).toBe('suppressed')
    expect(warning?.status.inhibitedBy.length).toBeGreaterThan(0)
    const other = alerts.find(
      (alert) =>
        alert.labels.alertname === 'TencentChatApiNearRateLimit' && matches(alert.labels, NEAR_LIMIT_API),
    )
    expect(other?.status.state).toBe('active')
  })

  it('delivers warnings to chat through WeCom, and never the inhibited one', async () => {
    const messages = await waitFor(
      'a WeCom message about the near-limit API',
      async () => {
        const sent = stack.webhook.requests.filter((request) =>
          request.path.startsWith('/chat/wecom/message/send'),
        )
        return sent.some((request) => request.body.includes('v4/openim/sendmsg')) ? sent : undefined
      },
      45_000,
    )
    const text = messages.map((request) => request.body).join('\n')
    expect(text).toContain('TencentChatApiNearRateLimit')
    expect(text).not.toContain('v4/openim/batchsendmsg of SDKAppID')
    expect(stack.webhook.requests.some((request) => request.path.startsWith('/chat/wecom/gettoken'))).toBe(
      true,
    )
  }, 50_000)
})
