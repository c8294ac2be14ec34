import type { MonitoringConfig } from '../config.js'

export interface RecordingRule {
  record: string
  expr: string
}

export interface AlertRule {
  alert: string
  expr: string
  for: string
  labels: { severity: 'critical' | 'warning' | 'info' }
  annotations: { summary: string; description: string; runbook_url: string }
}

export interface RuleGroup {
  name: string
  rules: Array<RecordingRule | AlertRule>
}

/** The runbook section of an alert: GitHub's anchor for a `## AlertName` heading is the lower-cased name. */
export function runbookUrl(config: MonitoringConfig, alert: string): string {
  return `${config.runbookUrl}#${alert.toLowerCase()}`
}

/** Makes alert rules whose runbook_url points at their section of the runbook. */
export function alertMaker(config: MonitoringConfig) {
  return (
    name: string,
    severity: AlertRule['labels']['severity'],
    forDuration: string,
    expr: string,
    summary: string,
    description: string,
  ): AlertRule => ({
    alert: name,
    expr,
    for: forDuration,
    labels: { severity },
    annotations: { summary, description, runbook_url: runbookUrl(config, name) },
  })
}
