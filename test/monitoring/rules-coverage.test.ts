import { describe, expect, it } from 'vitest'
import { promtoolTestFiles, readYaml, rulesFile } from './paths.js'

interface RulesFile {
  groups: Array<{ rules: Array<{ alert?: string }> }>
}

interface PromtoolTests {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>
}

/** For each alert name, whether some promtool test shows it firing and some shows it staying quiet. */
function coverage() {
  const firing = new Set<string>()
  const quiet = new Set<string>()
  for (const file of promtoolTestFiles()) {
    for (const test of readYaml<PromtoolTests>(file).tests) {
      for (const check of test.alert_rule_test ?? []) {
        if ((check.exp_alerts ?? []).length > 0) firing.add(check.alertname)
        else quiet.add(check.alertname)
      }
    }
  }
  return { firing, quiet }
}

describe('promtool test coverage', () => {
  const alerts = readYaml<RulesFile>(rulesFile).groups.flatMap((group) =>
    group.rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])),
  )
  const { firing, quiet } = coverage()

  it('finds the alerts', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(7)
  })

  it('has a test that shows every alert firing', () => {
    expect(alerts.filter((alert) => !firing.has(alert))).toEqual([])
  })

  it('has a test that shows every alert not firing', () => {
    expect(alerts.filter((alert) => !quiet.has(alert))).toEqual([])
  })

  it('tests no alert that does not exist', () => {
    const known = new Set(alerts)
    expect([...firing, ...quiet].filter((alert) => !known.has(alert))).toEqual([])
  })
})
