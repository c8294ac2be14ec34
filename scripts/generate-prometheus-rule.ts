/**
 * Writes deploy/kubernetes/base/prometheusrule.yaml from the bundled Prometheus rules file, so that
 * the Kubernetes rules are never a hand-made copy.
 *
 *   npx tsx scripts/generate-prometheus-rule.ts          # regenerate
 *   npx tsx scripts/generate-prometheus-rule.ts --check  # exit 1 when the committed file is stale
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { PROMETHEUS_RULE_PATH, RULES_PATH, renderPrometheusRule } from './prometheus-rule.js'

const root = new URL('../', import.meta.url)
const fresh = renderPrometheusRule(readFileSync(new URL(RULES_PATH, root), 'utf8'))
const target = new URL(PROMETHEUS_RULE_PATH, root)

if (process.argv.includes('--check')) {
  let committed = ''
  try {
    committed = readFileSync(target, 'utf8')
  } catch {}
  if (committed !== fresh) {
    process.stderr.write(
      `${PROMETHEUS_RULE_PATH} is stale: run npx tsx scripts/generate-prometheus-rule.ts and commit it\n`,
    )
    process.exit(1)
  }
  process.stdout.write(`${PROMETHEUS_RULE_PATH} is up to date\n`)
} else {
  writeFileSync(target, fresh)
  process.stdout.write(`wrote ${PROMETHEUS_RULE_PATH}\n`)
}
