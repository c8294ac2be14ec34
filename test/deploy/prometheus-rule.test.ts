import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import {
  CHART_DASHBOARDS_DIR,
  CHART_RULES_PATH,
  DASHBOARDS_DIR,
  kubernetesMonitoringFiles,
  PROMETHEUS_RULE_PATH,
  RULES_PATH,
  renderPrometheusRule,
} from '../../scripts/prometheus-rule.js'
import { REPO_ROOT } from './kustomize.js'
import { validateObject } from './schemas.js'

const run = promisify(execFile)

const SAMPLE_RULES = `# a sample rules file
groups:
  - name: sample
    rules:
      - record: job:up:sum
        expr: sum by (job) (up{job="tencent-chat-exporter"})
      - alert: SampleDown
        expr: |-
          job:up:sum
          == 0
        for: 5m
        labels:
          severity: critical
        annotations:
          description: "{{ $labels.job }} is down: {{ $value | humanize }}"
`

describe('renderPrometheusRule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tce-prometheus-rule-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('wraps the rule groups of a rules file, unchanged, in a valid PrometheusRule', () => {
    const path = join(dir, 'sample.rules.yml')
    writeFileSync(path, SAMPLE_RULES)
    const manifest = parse(renderPrometheusRule(readFileSync(path, 'utf8')))
    expect(manifest.kind).toBe('PrometheusRule')
    expect(manifest.spec.groups).toEqual(parse(SAMPLE_RULES).groups)
    validateObject(manifest)
  })

  test('refuses a file without rule groups', () => {
    expect(() => renderPrometheusRule('groups: []\n')).toThrow(/non-empty "groups"/)
    expect(() => renderPrometheusRule('groups:\n  - rules: []\n')).toThrow(/group 0 needs a "name"/)
  })
})

describe('the committed PrometheusRule', () => {
  const rules = readFileSync(join(REPO_ROOT, RULES_PATH), 'utf8')
  const committed = readFileSync(join(REPO_ROOT, PROMETHEUS_RULE_PATH), 'utf8')

  test(`is what scripts/generate-prometheus-rule.ts makes of ${RULES_PATH} now`, () => {
    // When this fails: npx tsx scripts/generate-prometheus-rule.ts, and commit the result.
    expect(committed).toBe(renderPrometheusRule(rules))
  })

  test('holds exactly the bundled rule groups', () => {
    expect(parse(committed).spec.groups).toEqual(parse(rules).groups)
  })

  test("the chart's copy holds exactly the bundled rule groups", () => {
    const chartRules = readFileSync(join(REPO_ROOT, CHART_RULES_PATH), 'utf8')
    expect(parse(chartRules)).toEqual({ groups: parse(rules).groups })
  })

  test("the chart's dashboards are the bundled ones, byte for byte, and no others", () => {
    const bundled = readdirSync(join(REPO_ROOT, DASHBOARDS_DIR)).sort()
    expect(readdirSync(join(REPO_ROOT, CHART_DASHBOARDS_DIR)).sort()).toEqual(bundled)
    for (const name of bundled) {
      expect(readFileSync(join(REPO_ROOT, CHART_DASHBOARDS_DIR, name), 'utf8'), name).toBe(
        readFileSync(join(REPO_ROOT, DASHBOARDS_DIR, name), 'utf8'),
      )
    }
  })

  test('every generated Kubernetes file is what the script makes now', () => {
    // When this fails: npx tsx scripts/generate-prometheus-rule.ts, and commit the result.
    for (const [path, content] of Object.entries(kubernetesMonitoringFiles(REPO_ROOT))) {
      expect(readFileSync(join(REPO_ROOT, path), 'utf8'), path).toBe(content)
    }
  })

  test('generate-prometheus-rule.ts --check agrees', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/generate-prometheus-rule.ts', '--check'],
      { cwd: REPO_ROOT, timeout: 30_000 },
    )
    expect(stdout).toContain(`${PROMETHEUS_RULE_PATH} is up to date`)
    expect(stdout).toContain(`${CHART_RULES_PATH} is up to date`)
  })
})
