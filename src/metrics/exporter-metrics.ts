import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { REJECTION_REASONS } from '../protocol/rejection.js'
import { createApiStore } from '../series/api-series.js'
import { createGroupQuotaStore } from '../series/group-quota-series.js'
import { registerDirectFamily } from './direct-family.js'

export const DROP_REASONS = ['series_limit'] as const

/**
 * Every metric the exporter defines, registered on the given registry. The names, types and labels
 * are the public interface that dashboards and alert rules depend on: change them only with SPEC.md.
 */
export function createExporterMetrics(
  registry: Registry,
  info: { version: string; alertTtlSeconds: number },
) {
  const registers = [registry]
  const apiStore = createApiStore({
    tencent_chat_api_requests_per_second:
      'QPS of a Tencent Chat REST API reported by its latest Alert.RequestOverLimit callback; absent once ALERT_TTL_SECONDS pass without a new alert (the rate is then below 80% of the limit).',
    tencent_chat_api_request_limit_per_second:
      'QPS limit of a Tencent Chat REST API reported by its latest Alert.RequestOverLimit callback.',
    tencent_chat_api_utilization_ratio:
      'Request / Limit of the latest Alert.RequestOverLimit callback (1 = at the limit); absent when Limit is 0 and once ALERT_TTL_SECONDS pass without a new alert.',
    tencent_chat_api_overlimit_alerts_total:
      'Alert.RequestOverLimit callbacks received for a Tencent Chat REST API.',
    tencent_chat_api_last_alert_timestamp_seconds:
      'Unix time at which the latest Alert.RequestOverLimit callback for a Tencent Chat REST API arrived.',
  })
  const groupQuotaStore = createGroupQuotaStore({
    tencent_chat_group_daily_net_increase:
      "QuotaUsed of the latest Group.CallbackOnDailyGroupQuotaAlarm: today's net increase of groups (created minus dissolved); absent once ALERT_TTL_SECONDS pass without a new alarm.",
    tencent_chat_group_daily_quota:
      'Quota of the latest Group.CallbackOnDailyGroupQuotaAlarm: the daily net increase of groups allowed.',
    tencent_chat_group_daily_quota_utilization_ratio:
      'QuotaUsed / Quota of the latest Group.CallbackOnDailyGroupQuotaAlarm; absent when Quota is 0 and once ALERT_TTL_SECONDS pass without a new alarm.',
    tencent_chat_group_quota_alerts_total: 'Group.CallbackOnDailyGroupQuotaAlarm callbacks received.',
  })
  // Registered first, where the prom-client metrics they replace were: the exposition keeps its order.
  for (const family of [...apiStore.families, ...groupQuotaStore.families])
    registerDirectFamily(registry, family)
  const metrics = {
    apiStore,
    groupQuotaStore,
    callbacks: new Counter({
      name: 'tencent_chat_exporter_callbacks_total',
      help: 'Callbacks accepted (authenticated and well-formed), of every CallbackCommand.',
      labelNames: ['sdkappid', 'callback_command'] as const,
      registers,
    }),
    rejectedCallbacks: new Counter({
      name: 'tencent_chat_exporter_rejected_callbacks_total',
      help: 'Callback requests rejected, by reason (malformed_json, invalid_payload, sdkappid_not_allowed, missing_signature, stale_request, bad_signature, body_too_large, unsupported_encoding).',
      labelNames: ['reason'] as const,
      registers,
    }),
    droppedAlerts: new Counter({
      name: 'tencent_chat_exporter_dropped_alerts_total',
      help: 'Valid alerts answered OK but not turned into series, by reason (series_limit: MAX_SERIES tracked series are all within their TTL).',
      labelNames: ['reason'] as const,
      registers,
    }),
    trackedApis: new Gauge({
      name: 'tencent_chat_exporter_tracked_apis',
      help: 'Tencent Chat REST APIs tracked now (at most MAX_SERIES).',
      registers,
    }),
    trackedGroupQuotaApps: new Gauge({
      name: 'tencent_chat_exporter_tracked_group_quota_apps',
      help: 'Apps whose group daily quota series are tracked now (at most MAX_SERIES).',
      registers,
    }),
    maxSeries: new Gauge({
      name: 'tencent_chat_exporter_max_series',
      help: 'The configured MAX_SERIES: the most APIs tracked at once.',
      registers,
    }),
    alertTtlSeconds: new Gauge({
      name: 'tencent_chat_exporter_alert_ttl_seconds',
      help: "The configured ALERT_TTL_SECONDS: how long an alert's QPS and utilisation stay exposed.",
      registers,
    }),
    buildInfo: new Gauge({
      name: 'tencent_chat_exporter_build_info',
      help: 'Always 1; labelled with the exporter version and the Node.js version running it.',
      labelNames: ['version', 'nodejs_version'] as const,
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: 'tencent_chat_exporter_http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by route, method and status code.',
      labelNames: ['route', 'method', 'status'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  }

  // Every reason starts at 0 so that rate() and alerts see it from the first scrape.
  for (const reason of Object.keys(REJECTION_REASONS)) metrics.rejectedCallbacks.inc({ reason }, 0)
  for (const reason of DROP_REASONS) metrics.droppedAlerts.inc({ reason }, 0)
  metrics.alertTtlSeconds.set(info.alertTtlSeconds)
  metrics.buildInfo.set({ version: info.version, nodejs_version: process.version }, 1)
  return metrics
}

export type ExporterMetrics = ReturnType<typeof createExporterMetrics>
