import { monitoringConfig } from '../prometheus/config.js'
import { renderRules } from '../prometheus/src/rules.js'

/** Every generated monitoring file, by its path in the repository, rendered from the committed sources. */
export function generatedFiles(config = monitoringConfig): Record<string, string> {
  return {
    'prometheus/rules/tencent-chat-exporter.rules.yml': renderRules(config),
  }
}
