/**
 * Writes the Kubernetes copies of the bundled monitoring files, so that none is a hand-made copy:
 * the kustomize PrometheusRule (deploy/kubernetes/components/sidecar/prometheusrule.yaml), and the
 * Helm chart's rule groups and dashboards (charts/tencent-chat-exporter/files/). Run it after
 * scripts/generate-monitoring.ts.
 *
 *   npx tsx scripts/generate-prometheus-rule.ts          # regenerate
 *   npx tsx scripts/generate-prometheus-rule.ts --check  # exit 1 when a committed file is stale
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CHART_DASHBOARDS_DIR, kubernetesMonitoringFiles } from './prometheus-rule.js'

const root = fileURLToPath(new URL('../', import.meta.url))
const files = kubernetesMonitoringFiles(root)
const check = process.argv.includes('--check')
let stale = 0

// A dashboard removed from grafana/dashboards goes from the chart too.
const chartDashboards = join(root, CHART_DASHBOARDS_DIR)
for (const name of existsSync(chartDashboards) ? readdirSync(chartDashboards) : []) {
  const path = `${CHART_DASHBOARDS_DIR}/${name}`
  if (path in files) continue
  if (check) {
    stale++
    process.stderr.write(`not generated: ${path}\n`)
  } else {
    rmSync(join(root, path))
    process.stdout.write(`removed ${path}\n`)
  }
}

for (const [path, content] of Object.entries(files)) {
  let committed: string | undefined
  try {
    committed = readFileSync(join(root, path), 'utf8')
  } catch {}
  if (committed === content) {
    if (check) process.stdout.write(`${path} is up to date\n`)
    continue
  }
  if (check) {
    stale++
    process.stderr.write(`out of date: ${path}\n`)
    continue
  }
  mkdirSync(dirname(join(root, path)), { recursive: true })
  writeFileSync(join(root, path), content)
  process.stdout.write(`wrote ${path}\n`)
}

if (stale > 0) {
  process.stderr.write('run `npx tsx scripts/generate-prometheus-rule.ts` and commit the result\n')
  process.exit(1)
}
