import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import { PROMETHEUS_RULE_PATH, RULES_PATH, renderPrometheusRule } from '../../scripts/prometheus-rule.js'
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

  test('generate-prometheus-rule.ts --check agrees', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/generate-prometheus-rule.ts', '--check'],
      { cwd: REPO_ROOT, timeout: 30_000 },
    )
    expect(stdout).toContain('is up to date')
  })
})
