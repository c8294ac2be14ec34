import { dashboards, renderDashboard } from '../grafana/src/index.js'
import { monitoringConfig } from '../prometheus/config.js'
import { renderRules } from '../prometheus/src/rules.js'

/** Every generated monitoring file, by its path in the repository, rendered from the committed sources. */
export function generatedFiles(config = monitoringConfig): Record<string, string> {
  const files: Record<string, string> = {
    'prometheus/rules/tencent-chat-exporter.rules.yml': renderRules(config),
  }
  for (const [name, dashboard] of Object.entries(dashboards(config))) {
    files[`grafana/dashboards/${name}`] = renderDashboard(dashboard)
  }
  return files
}
