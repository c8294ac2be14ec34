import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { withReceiverUrls } from '../alertmanager/src/receiver-urls.js'
import { dashboards, renderDashboard } from '../grafana/src/index.js'
import { monitoringConfig } from '../prometheus/config.js'
import { renderRules } from '../prometheus/src/rules.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

const DEMO_ALERTMANAGER_HEADER = `# Alertmanager configuration of the docker-compose demo stack. Generated from
# alertmanager.example.yml by scripts/generate-monitoring.ts: the same routing, grouping, inhibition and
# receivers, with every notification sent to the demo-receiver service, which prints it
# (docker compose logs -f demo-receiver). Do not edit; edit the example and regenerate.
`

/** Every generated monitoring file, by its path in the repository, rendered from the committed sources. */
export function generatedFiles(config = monitoringConfig): Record<string, string> {
  const files: Record<string, string> = {
    'prometheus/rules/tencent-chat-exporter.rules.yml': renderRules(config),
  }
  for (const [name, dashboard] of Object.entries(dashboards(config))) {
    files[`grafana/dashboards/${name}`] = renderDashboard(dashboard)
  }
  const example = readFileSync(join(root, 'alertmanager/alertmanager.example.yml'), 'utf8')
  files['alertmanager/alertmanager.demo.yml'] =
    DEMO_ALERTMANAGER_HEADER + withReceiverUrls(example, 'http://demo-receiver:8080')
  return files
}
