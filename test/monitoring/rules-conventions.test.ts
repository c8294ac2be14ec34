import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { monitoringConfig } from '../../prometheus/config.js'
import { type AlertRule, alertRules, ruleGroups } from '../../prometheus/src/rules.js'
import { runbookFile } from './paths.js'

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

const runbookAnchors = new Set(
  readFileSync(runbookFile, 'utf8')
    .split('\n')
    .filter((line) => /^#{1,6} /.test(line))
    .map((line) => anchorOf(line.replace(/^#+ /, ''))),
)

describe('alert rule conventions', () => {
  const groups = ruleGroups(monitoringConfig)
  const alerts = alertRules(groups)

  it.each(alerts.map((rule) => [rule.alert, rule] as const))(
    '%s is named, labelled and annotated',
    (_, rule) => {
      const alert = rule as AlertRule
      expect(alert.alert).toMatch(/^TencentChat[A-Z][A-Za-z]+$/)
      expect(['critical', 'warning', 'info']).toContain(alert.labels.severity)
      expect(alert.annotations.summary, 'summary is static').not.toContain('{{')
      expect(alert.annotations.description, 'description is templated').toContain('{{')
      expect(alert.for).toMatch(/^\d+[smh]$/)
    },
  )

  it.each(alerts.map((rule) => [rule.alert, rule.annotations.runbook_url] as const))(
    "%s's runbook_url points at its section of docs/runbook.md",
    (alert, url) => {
      const [base, anchor] = url.split('#')
      expect(base).toBe(monitoringConfig.runbookUrl)
      expect(base).toMatch(/\/docs\/runbook\.md$/)
      expect(anchor).toBe(alert.toLowerCase())
      expect(runbookAnchors.has(anchor as string), `runbook has a "## ${alert}" section`).toBe(true)
    },
  )

  it('has the alerts the monitoring bundle promises', () => {
    const bySeverity = Object.fromEntries(alerts.map((rule) => [rule.alert, rule.labels.severity]))
    expect(bySeverity).toMatchObject({
      TencentChatApiNearRateLimit: 'warning',
      TencentChatApiOverRateLimit: 'critical',
      TencentChatGroupDailyQuotaNearLimit: 'warning',
      TencentChatExporterDown: 'critical',
      TencentChatExporterAbsent: 'warning',
      TencentChatCallbackAuthenticationFailures: 'warning',
      TencentChatExporterDroppingAlerts: 'warning',
      TencentChatUpstreamFailing: 'critical',
      TencentChatRestApiNearLimit: 'warning',
      TencentChatRestThrottled: 'critical',
      TencentChatRestUserSigRejected: 'critical',
      TencentChatRestFailing: 'critical',
      TencentChatRestLatencyHigh: 'warning',
    })
  })

  it('selects the exporter by the configured selector in every raw query', () => {
    const rules = groups.flatMap((group) => group.rules)
    for (const rule of rules) {
      // Alerts on recording rules inherit the selector from the recording rule.
      if (/^tencent_chat_\w+:\w+:\w+ /.test(rule.expr)) continue
      expect(rule.expr, 'record' in rule ? rule.record : rule.alert).toContain(monitoringConfig.selector)
    }
  })

  it('aggregates across replicas without the replica labels', () => {
    const aggregations = groups
      .flatMap((group) => group.rules)
      .flatMap((rule) => rule.expr.match(/\b(sum|max|min|avg) (by|without) \([^)]*\)/g) ?? [])
    expect(aggregations.length).toBeGreaterThan(0)
    for (const aggregation of aggregations) expect(aggregation).toMatch(/without \(instance, pod\b/)
  })
})
