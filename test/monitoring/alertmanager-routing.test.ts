import { describe, expect, it } from 'vitest'
import { monitoringConfig } from '../../prometheus/config.js'
import { alertRules, ruleGroups } from '../../prometheus/src/rules.js'
import { findTool, pinnedRelease, runTool, toolVersion } from '../helpers/tools.js'
import { alertmanagerConfigFile, readYaml } from './paths.js'

interface AlertmanagerConfig {
  route: { group_by: string[] }
  receivers: Array<{ name: string; wechat_configs?: unknown[]; webhook_configs?: unknown[] }>
  inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>
}

/** Where each severity must end up: critical pages, the rest goes to chat. */
const RECEIVER_BY_SEVERITY = { critical: 'pager', warning: 'chat', info: 'chat' } as const

const API_LABELS = ['sdkappid=1400000001', 'service_name=openim', 'command=batchsendmsg']

describe('Alertmanager example configuration', () => {
  const amtool = findTool('amtool')
  const config = readYaml<AlertmanagerConfig>(alertmanagerConfigFile)
  const alerts = alertRules(ruleGroups(monitoringConfig))

  async function routesTest(receiver: string, labels: string[]) {
    return runTool(amtool, [
      'config',
      'routes',
      'test',
      `--config.file=${alertmanagerConfigFile}`,
      `--verify.receivers=${receiver}`,
      ...labels,
    ])
  }

  it('is checked with the pinned amtool', async () => {
    expect(await toolVersion(amtool)).toBe(pinnedRelease('ALERTMANAGER'))
  })

  it('passes amtool check-config without a warning (matchers read by the UTF-8 parser)', async () => {
    const result = await runTool(amtool, ['check-config', alertmanagerConfigFile])
    expect(result.stdout).toContain('SUCCESS')
    expect(result.code).toBe(0)
    // From 0.27 amtool warns on stderr when a matcher only parses with the classic parser.
    expect(result.stderr).toBe('')
    expect(result.stdout).not.toMatch(/warn|deprecat/i)
  })

  it.each(alerts.map((rule) => [rule.alert, rule.labels.severity] as const))(
    'routes %s (%s) to its receiver',
    async (alert, severity) => {
      const expected = RECEIVER_BY_SEVERITY[severity]
      const result = await routesTest(expected, [`alertname=${alert}`, `severity=${severity}`, ...API_LABELS])
      expect(result.stdout.trim()).toBe(expected)
      expect(result.code).toBe(0)
    },
  )

  it('fails the route check when a page would go to chat', async () => {
    const result = await routesTest('chat', ['alertname=TencentChatApiOverRateLimit', 'severity=critical'])
    expect(result.stdout.split('\n')[0]).toBe('pager')
    expect(result.code).not.toBe(0)
  })

  it('has a WeCom and a generic webhook receiver', () => {
    expect(config.receivers.some((receiver) => receiver.wechat_configs?.length)).toBe(true)
    expect(config.receivers.some((receiver) => receiver.webhook_configs?.length)).toBe(true)
  })

  it('groups by the tracked API and inhibits the warning while the same API is over its limit', () => {
    expect(config.route.group_by).toEqual(['sdkappid', 'service_name', 'command'])
    const names = new Set(alerts.map((rule) => rule.alert))
    const [inhibit] = config.inhibit_rules
    expect(inhibit?.source_matchers).toEqual(['alertname="TencentChatApiOverRateLimit"'])
    expect(inhibit?.target_matchers).toEqual(['alertname="TencentChatApiNearRateLimit"'])
    expect(inhibit?.equal).toEqual(['sdkappid', 'service_name', 'command'])
    expect(names.has('TencentChatApiOverRateLimit') && names.has('TencentChatApiNearRateLimit')).toBe(true)
  })

  it("inhibits the REST meter's near-limit warning while Chat throttles the same API", () => {
    const names = new Set(alerts.map((rule) => rule.alert))
    const inhibit = config.inhibit_rules.find((rule) =>
      rule.source_matchers.includes('alertname="TencentChatRestThrottled"'),
    )
    expect(inhibit?.target_matchers).toEqual(['alertname="TencentChatRestApiNearLimit"'])
    expect(inhibit?.equal).toEqual(['sdkappid', 'service_name', 'command'])
    expect(names.has('TencentChatRestThrottled') && names.has('TencentChatRestApiNearLimit')).toBe(true)
  })
})
