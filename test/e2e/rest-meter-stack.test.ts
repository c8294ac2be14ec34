import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboards } from '../../grafana/src/index.js'
import { REST_API_USAGE_UID } from '../../grafana/src/rest-api-usage.js'
import { type MonitoringConfig, monitoringConfig } from '../../prometheus/config.js'
import { alertRules, renderRules, ruleGroups } from '../../prometheus/src/rules.js'
import { annotationQueries, panelQueries, substitute } from '../monitoring/dashboard-queries.js'
import { type FakeChat, startFakeChat } from '../rest-meter/support/fake-chat.js'
import { APP, startMeter } from '../rest-meter/support/meter.js'
import { API_OF_METHOD, drivePythonClient, type PythonStep } from '../rest-meter/support/python-client.js'
import { waitFor } from './support/processes.js'
import { alertmanagerAlerts, prometheusAlerts, promQuery, type Stack, startStack } from './support/stack.js'

// The REST meter's part of the monitoring bundle on real tools: Tencent's Python client
// (tencentcloud-sdk-python-im) calls Chat's REST API through the exporter's REST meter, as an app
// configured with the meter's base URL does, and the meter forwards to a fake Chat over HTTPS that checks
// UserSigs and enforces per-second limits. Prometheus 3 scrapes the exporter and evaluates the REST rules,
// Alertmanager routes them with the example configuration, and the REST dashboard's queries run against
// that Prometheus.
//
// The rules are the bundled ones with every REST alert's `for` at 0m, so that each can be seen firing
// within the test; the promtool tests in prometheus/tests check the durations themselves.

const E2E_CONFIG: MonitoringConfig = {
  ...monitoringConfig,
  for: {
    ...monitoringConfig.for,
    restApiNearLimit: '0m',
    restThrottled: '0m',
    restUserSigRejected: '0m',
    restFailing: '0m',
    restLatencyHigh: '0m',
  },
}

/** What API_LIMITS_FILE says (configured); Chat itself throttles account_check past 2 a second. */
const CONFIGURED_LIMITS = { 'openim/sendmsg': 5, 'im_open_login_svc/account_check': 2 }
const CHAT_LIMITS = { 'im_open_login_svc/account_check': 2 }
const SLOW_ANSWER_MS = 1200

const REST_ALERTS = alertRules(ruleGroups(monitoringConfig))
  .map((rule) => rule.alert)
  .filter((name) => name.startsWith('TencentChatRest'))

/** One call the Python client made: its API, the HTTP status and the answer's ErrorCode. */
interface ClientCall {
  api: string
  status: number | undefined
  errorCode: number | undefined
}

const api = (command: string, service_name = 'openim') => ({ sdkappid: APP.sdkappid, service_name, command })
const matches = (labels: Record<string, string>, wanted: Record<string, string>) =>
  Object.entries(wanted).every(([name, value]) => labels[name] === value)

describe('the REST meter in the monitoring bundle, end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tce-e2e-rest-'))
  let chat: FakeChat
  let stack: Stack
  let startedSeconds: number
  const calls: ClientCall[] = []

  /** Runs the Python client through the meter and keeps what each call got. */
  const drive = async (steps: PythonStep[]) => {
    const run = await drivePythonClient({
      url: `${stack.exporter.egressUrl}/v4`,
      sdkappid: Number(APP.sdkappid),
      key: APP.key,
      admin: APP.identifier,
      steps,
    })
    for (const step of run.steps) {
      for (const call of step.calls) {
        const body = call.body_base64 && Buffer.from(call.body_base64, 'base64').toString('utf8')
        const answer = body ? (JSON.parse(body) as { ErrorCode?: number }) : {}
        calls.push({ api: API_OF_METHOD[step.method], status: call.status, errorCode: answer.ErrorCode })
      }
    }
  }

  /** Waits until Prometheus has scraped the meter's count of an API's answered calls at `value` or more. */
  const scraped = (command: string, value: number) =>
    waitFor(
      `Prometheus to scrape ${value} answered calls to ${command}`,
      async () => {
        const result = await promQuery(
          stack.prometheusUrl,
          `sum(tencent_chat_rest_requests_total{command="${command}"}) >= ${value}`,
        )
        return result.data?.result.length ? true : undefined
      },
      20_000,
    )

  beforeAll(async () => {
    chat = await startFakeChat({ ...APP, limits: CHAT_LIMITS })
    const limitsFile = join(dir, 'api-limits.yaml')
    const limitsYaml = Object.entries(CONFIGURED_LIMITS)
      .map(([name, perSecond]) => `${name}: ${perSecond}\n`)
      .join('')
    writeFileSync(limitsFile, limitsYaml)
    const rulesFile = join(dir, 'rules.yml')
    writeFileSync(rulesFile, renderRules(E2E_CONFIG))
    stack = await startStack({
      rulesFile,
      startExporter: () =>
        startMeter(chat, {
          config: {
            sdkAppIds: new Set([APP.sdkappid]),
            logLevel: 'debug',
            apiLimitsFile: {
              path: limitsFile,
              limits: new Map(Object.entries(CONFIGURED_LIMITS)),
              content: limitsYaml,
            },
          },
        }),
    })
    startedSeconds = Date.now() / 1000

    // Every API once, so that each has its series before the calls the rules must see increase.
    await drive([
      { method: 'check_user_online', calls: 1 },
      { method: 'get_group', calls: 10 },
    ])
    await scraped('query_online_status', 1)
    await scraped('get_appid_group_list', 10)

    // sendmsg: at least 3 calls within one second (60% of the configured 5); account_check: past Chat's
    // 2 a second, so that Chat answers 60007. Each step's calls start together just after a whole
    // second; a machine too loaded to make them within it gets another try.
    for (let attempt = 0; attempt < 5; attempt++) {
      await drive([
        { method: 'send_message', calls: 12, concurrent: true },
        { method: 'search_user', calls: 8, concurrent: true },
      ])
      const peak = chat.peaks().get('openim/sendmsg') ?? 0
      if (peak >= 3 && calls.some((call) => call.errorCode === 60007)) break
    }
    // An app that renews its admin UserSig too late: this one expired an hour ago.
    await drive([{ method: 'send_message', calls: 2, expire_time: -3600 }])

    // Chat slow: every call to query_online_status takes longer than a second.
    chat.setMode({ kind: 'slow', delayMs: SLOW_ANSWER_MS })
    await drive([{ method: 'check_user_online', calls: 3 }])
    // Chat unreachable: the connection is reset, the meter answers 502.
    chat.setMode({ kind: 'reset' })
    await drive([{ method: 'get_group', calls: 3 }])
    chat.setMode({ kind: 'answer' })
  }, 120_000)

  afterAll(async () => {
    await stack?.stop()
    await chat?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("drove the meter with Tencent's Python client, and Chat answered what the app asked", () => {
    const codes = (command: string) =>
      calls.filter((call) => call.api.endsWith(`/${command}`)).map((call) => call.errorCode)
    expect(codes('sendmsg')).toContain(0)
    expect(codes('sendmsg')).toContain(70001)
    expect(codes('account_check')).toContain(60007)
    expect(codes('query_online_status')).toEqual([0, 0, 0, 0])
    // The meter's own answer when Chat cannot be reached: 502, never an ErrorCode of 0.
    const unreachable = calls.filter((call) => call.status === 502)
    expect(unreachable.map((call) => call.api)).toEqual(
      Array(3).fill('group_open_http_svc/get_appid_group_list'),
    )
    expect(unreachable.every((call) => call.errorCode !== 0 && call.errorCode !== undefined)).toBe(true)
    // Every call Chat answered came through the meter with the client's own UserSig and query.
    expect(chat.calls.length).toBe(calls.filter((call) => call.status === 200).length)
    expect(
      chat.calls.every((call) => call.sdkappid === APP.sdkappid && call.identifier === APP.identifier),
    ).toBe(true)
    expect(
      chat.calls.some((call) => call.requestHeaders['user-agent']?.toString().startsWith('python-requests/')),
    ).toBe(true)
  })

  it('evaluates every REST rule without error', async () => {
    const response = await fetch(`${stack.prometheusUrl}/api/v1/rules`)
    const body = (await response.json()) as {
      data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string }> }> }
    }
    const rest = body.data.groups.find((group) => group.name === 'tencent-chat-rest')
    expect(rest?.rules.length).toBe(REST_ALERTS.length + 3)
    expect(rest?.rules.filter((rule) => rule.health !== 'ok')).toEqual([])
  })

  it('fires every REST alert, each on the API or app that caused it', async () => {
    const firing = await waitFor(
      'every REST alert to fire',
      async () => {
        const alerts = (await prometheusAlerts(stack)).filter(
          (alert) => alert.state === 'firing' && alert.labels.alertname?.startsWith('TencentChatRest'),
        )
        const names = new Set(alerts.map((alert) => alert.labels.alertname))
        return REST_ALERTS.every((name) => names.has(name)) ? alerts : undefined
      },
      30_000,
    )
    const find = (name: string, labels: Record<string, string>) =>
      firing.find((alert) => alert.labels.alertname === name && matches(alert.labels, labels))

    const near = find('TencentChatRestApiNearLimit', api('sendmsg'))
    expect(near?.labels.severity).toBe('warning')
    expect(near?.annotations.description).toMatch(
      /^v4\/openim\/sendmsg of SDKAppID 1400000001 peaked at \d+ calls in one second, [\d.]+% of its limit of 5\/s \(configured\)\./,
    )
    expect(find('TencentChatRestApiNearLimit', api('account_check', 'im_open_login_svc'))).toBeDefined()
    const throttled = find('TencentChatRestThrottled', {
      ...api('account_check', 'im_open_login_svc'),
      error_code: '60007',
    })
    expect(throttled?.labels.severity).toBe('critical')
    expect(throttled?.annotations.description).toContain("(the API's per-second limit)")
    expect(find('TencentChatRestThrottled', api('sendmsg'))).toBeUndefined()
    const usersig = find('TencentChatRestUserSigRejected', { sdkappid: APP.sdkappid, error_code: '70001' })
    expect(usersig?.annotations.description).toContain(
      'the admin UserSig the app signs its calls with is expired',
    )
    expect(find('TencentChatRestFailing', api('get_appid_group_list', 'group_open_http_svc'))).toBeDefined()
    expect(find('TencentChatRestFailing', api('sendmsg'))).toBeUndefined()
    const slow = find('TencentChatRestLatencyHigh', api('query_online_status'))
    expect(slow?.annotations.description).toMatch(/take [\d.]+s or more through the meter/)
    expect(find('TencentChatRestLatencyHigh', api('sendmsg'))).toBeUndefined()
  }, 35_000)

  it('delivers the throttling page to the example receiver through Alertmanager', async () => {
    const page = await waitFor(
      'the pager webhook to receive TencentChatRestThrottled',
      async () => {
        for (const request of stack.webhook.requests.filter(
          (candidate) => candidate.path === '/pager/webhook',
        )) {
          const payload = JSON.parse(request.body) as {
            receiver: string
            alerts: Array<{
              status: string
              labels: Record<string, string>
              annotations: Record<string, string>
            }>
          }
          const alert = payload.alerts.find(
            (candidate) =>
              candidate.labels.alertname === 'TencentChatRestThrottled' &&
              matches(candidate.labels, api('account_check', 'im_open_login_svc')),
          )
          if (alert) return { payload, alert }
        }
        return undefined
      },
      40_000,
    )
    expect(page.payload.receiver).toBe('pager')
    expect(page.alert.status).toBe('firing')
    expect(page.alert.annotations.runbook_url).toBe(`${monitoringConfig.runbookUrl}#tencentchatrestthrottled`)
  }, 45_000)

  it("inhibits the throttled API's near-limit warning, and only that one", async () => {
    const alerts = await waitFor(
      'Alertmanager to hold both near-limit warnings',
      async () => {
        const all = await alertmanagerAlerts(stack)
        const near = all.filter((alert) => alert.labels.alertname === 'TencentChatRestApiNearLimit')
        return near.length >= 2 ? all : undefined
      },
      20_000,
    )
    const near = (command: string, service_name?: string) =>
      alerts.find(
        (alert) =>
          alert.labels.alertname === 'TencentChatRestApiNearLimit' &&
          matches(alert.labels, api(command, service_name)),
      )
    expect(near('account_check', 'im_open_login_svc')?.status.state).toBe('suppressed')
    expect(near('account_check', 'im_open_login_svc')?.status.inhibitedBy.length).toBeGreaterThan(0)
    expect(near('sendmsg')?.status.state).toBe('active')
  })

  it('returns data for every query of every panel of the REST API usage dashboard', async () => {
    const dashboard = Object.values(dashboards(monitoringConfig)).find((d) => d.uid === REST_API_USAGE_UID)
    if (!dashboard) throw new Error('no REST API usage dashboard')
    const since = Math.ceil(Date.now() / 1000 - startedSeconds) + 5
    const grafana = { rateInterval: '5s', range: `${since}s` }
    const byPanel = new Map<string, boolean>()
    const problems: string[] = []
    for (const query of panelQueries(dashboard)) {
      const expr = substitute(query.expr, grafana)
      const result = await promQuery(stack.prometheusUrl, expr, query.instant ? undefined : since)
      if (result.status !== 'success') problems.push(`${query.panel}: ${result.error} in ${expr}`)
      for (const note of [...(result.warnings ?? []), ...(result.infos ?? [])])
        problems.push(`${query.panel}: ${note} in ${expr}`)
      const hasData = (result.data?.result.length ?? 0) > 0
      byPanel.set(query.panel, (byPanel.get(query.panel) ?? false) || hasData)
    }
    expect(problems).toEqual([])
    expect(byPanel.size).toBeGreaterThanOrEqual(13)
    expect([...byPanel].filter(([, hasData]) => !hasData).map(([panel]) => panel)).toEqual([])

    // The table's utilisation: sendmsg's summed peak over its configured 5, account_check's over 2.
    const top = panelQueries(dashboard).find((query) => query.panel === 'Top APIs by peak utilisation')
    const table = await promQuery(stack.prometheusUrl, substitute(top?.expr ?? '', grafana))
    const ratio = (command: string) =>
      Number(
        (
          table.data?.result.find((series) => series.metric.command === command)?.value as [number, string]
        )?.[1],
      )
    expect(ratio('sendmsg')).toBeGreaterThanOrEqual(0.6)
    expect(ratio('account_check')).toBeGreaterThanOrEqual(1)

    // The annotations mark the throttled calls and the firing REST alerts.
    const [alertsAnnotation, throttledAnnotation] = annotationQueries(dashboard)
    const marks = async (expr: string) =>
      (await promQuery(stack.prometheusUrl, substitute(expr, grafana), since)).data?.result ?? []
    expect(
      (await marks(throttledAnnotation?.expr ?? '')).map((series) => series.metric.error_code),
    ).toContain('60007')
    expect((await marks(alertsAnnotation?.expr ?? '')).map((series) => series.metric.alertname)).toContain(
      'TencentChatRestThrottled',
    )
  })
})
