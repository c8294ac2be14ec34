import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'
import type { MonitoringConfig } from '../../prometheus/config.js'
import { apiRateLimitsDashboard } from './api-rate-limits.js'
import { exporterHealthDashboard } from './exporter-health.js'
import { restApiUsageDashboard } from './rest-api-usage.js'

/** Every dashboard, by the file it is committed as under grafana/dashboards/. */
export function dashboards(config: MonitoringConfig): Record<string, Dashboard> {
  return {
    'tencent-chat-api-rate-limits.json': apiRateLimitsDashboard(config),
    'tencent-chat-exporter-health.json': exporterHealthDashboard(config),
    'tencent-chat-rest-api-usage.json': restApiUsageDashboard(config),
  }
}

/** The committed form: two-space JSON with a final newline, stable for a given source. */
export function renderDashboard(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`
}
