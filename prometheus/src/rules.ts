import { stringify } from 'yaml'
import type { MonitoringConfig } from '../config.js'
import { restMeterGroup } from './rest-meter-rules.js'
import { type AlertRule, alertMaker, type RuleGroup } from './rule-shapes.js'

export { type AlertRule, alertMaker, type RecordingRule, type RuleGroup, runbookUrl } from './rule-shapes.js'

/**
 * The alert and recording rules, as data. Gauges are combined across replicas with `max` and counters
 * with `sum`, both `without` the replica labels, so that several exporters behind one callback URL
 * raise one alert per API rather than one per replica.
 */
export function ruleGroups(config: MonitoringConfig): RuleGroup[] {
  const sel = config.selector
  const without = `without (${config.replicaLabels.join(', ')})`
  const alert = alertMaker(config)
  const api = 'v4/{{ $labels.service_name }}/{{ $labels.command }} of SDKAppID {{ $labels.sdkappid }}'

  return [
    {
      name: 'tencent-chat-api',
      rules: [
        {
          record: 'tencent_chat_api:utilization_ratio:max',
          expr: `max ${without} (tencent_chat_api_utilization_ratio{${sel}})`,
        },
        {
          record: 'tencent_chat_api:requests_per_second:max',
          expr: `max ${without} (tencent_chat_api_requests_per_second{${sel}})`,
        },
        {
          record: 'tencent_chat_api:request_limit_per_second:max',
          expr: `max ${without} (tencent_chat_api_request_limit_per_second{${sel}})`,
        },
        alert(
          'TencentChatApiNearRateLimit',
          'warning',
          config.for.apiNearLimit,
          `tencent_chat_api:utilization_ratio:max >= ${config.apiNearLimitRatio}`,
          'A Tencent Chat REST API is close to its frequency limit.',
          `${api} runs at {{ $value | humanizePercentage }} of its QPS limit (Chat's latest Alert.RequestOverLimit). Past 100% Chat throttles it.`,
        ),
        alert(
          'TencentChatApiOverRateLimit',
          'critical',
          config.for.apiOverLimit,
          `tencent_chat_api:utilization_ratio:max >= ${config.apiOverLimitRatio}`,
          'A Tencent Chat REST API is over its frequency limit and being throttled.',
          `${api} runs at {{ $value | humanizePercentage }} of its QPS limit: Chat is rejecting calls to it now.`,
        ),
      ],
    },
    {
      name: 'tencent-chat-group-quota',
      rules: [
        {
          record: 'tencent_chat_group:daily_quota_utilization_ratio:max',
          expr: `max ${without} (tencent_chat_group_daily_quota_utilization_ratio{${sel}})`,
        },
        alert(
          'TencentChatGroupDailyQuotaNearLimit',
          'warning',
          config.for.groupQuotaNearLimit,
          `tencent_chat_group:daily_quota_utilization_ratio:max >= ${config.groupQuotaNearLimitRatio}`,
          "A Tencent Chat app has used most of today's group creation quota.",
          'SDKAppID {{ $labels.sdkappid }} has used {{ $value | humanizePercentage }} of its daily net group increase quota. At 100% creating groups fails until the quota resets.',
        ),
      ],
    },
    {
      name: 'tencent-chat-exporter',
      rules: [
        alert(
          'TencentChatExporterDown',
          'critical',
          config.for.exporterDown,
          `up{${sel}} == 0`,
          'A tencent-chat-exporter replica cannot be scraped.',
          'Prometheus cannot scrape {{ $labels.instance }} of job {{ $labels.job }}. Tencent Chat callbacks sent to it fail and its rate-limit alarms are lost.',
        ),
        alert(
          'TencentChatExporterAbsent',
          'warning',
          config.for.exporterAbsent,
          `absent(up{${sel}})`,
          'Prometheus has no tencent-chat-exporter target.',
          'No target matches {{ $labels.job }}: Tencent Chat rate-limit alarms are not being monitored at all.',
        ),
        alert(
          'TencentChatCallbackAuthenticationFailures',
          'warning',
          config.for.authenticationFailures,
          `sum ${without} (rate(tencent_chat_exporter_rejected_callbacks_total{${sel},reason=~"missing_signature|stale_request|bad_signature|sdkappid_not_allowed"}[5m])) > 0`,
          'Callbacks are being rejected for authentication reasons.',
          'Job {{ $labels.job }} rejects {{ $value | humanize }} callbacks/s with reason {{ $labels.reason }}: a token or SDKAppID mismatch with the Chat console, a skewed clock, or someone probing the callback URL.',
        ),
        alert(
          'TencentChatExporterDroppingAlerts',
          'warning',
          config.for.droppingAlerts,
          `sum ${without} (rate(tencent_chat_exporter_dropped_alerts_total{${sel}}[5m])) > 0`,
          'The exporter is dropping rate-limit alarms at its series cap.',
          'Job {{ $labels.job }} drops {{ $value | humanize }} alarms/s (reason {{ $labels.reason }}): every one of its MAX_SERIES tracked APIs is still within ALERT_TTL_SECONDS, so new APIs are not shown.',
        ),
        alert(
          'TencentChatExporterSeriesCapNearlyFull',
          'info',
          config.for.seriesCapNearlyFull,
          // Per replica on purpose: each exporter process has its own table and its own cap.
          `tencent_chat_exporter_tracked_apis{${sel}} / tencent_chat_exporter_max_series{${sel}} >= ${config.seriesCapNearRatio}`,
          'The exporter tracks nearly as many APIs as MAX_SERIES allows.',
          '{{ $labels.instance }} tracks {{ $value | humanizePercentage }} of its MAX_SERIES cap; once all are within their TTL, new APIs are dropped.',
        ),
        alert(
          'TencentChatExporterTokenReloadFailing',
          'warning',
          config.for.tokenReloadFailing,
          // Per replica on purpose: each exporter process reads its own copy of the token file.
          `tencent_chat_exporter_token_file_last_reload_successful{${sel}} == 0`,
          'The exporter cannot use its changed callback token file.',
          '{{ $labels.instance }} could not use CALLBACK_TOKEN_FILE after it changed (unreadable, empty or no valid token) and keeps the tokens it had: a token added there is not accepted yet, and callbacks signed with it are rejected as bad_signature.',
        ),
      ],
    },
    {
      name: 'tencent-chat-front-proxy',
      rules: [
        alert(
          'TencentChatUpstreamFailing',
          'critical',
          config.for.upstreamFailing,
          [
            `sum ${without.replace(')', ', outcome)')} (rate(tencent_chat_exporter_upstream_requests_total{${sel},outcome!="ok"}[5m]))`,
            '/',
            `sum ${without.replace(')', ', outcome)')} (rate(tencent_chat_exporter_upstream_requests_total{${sel}}[5m]))`,
            `> ${config.upstreamFailureRatio}`,
          ].join('\n'),
          'Callbacks forwarded to the app backend are failing.',
          "{{ $value | humanizePercentage }} of {{ $labels.callback_command }} callbacks forwarded by job {{ $labels.job }} to the app fail (timeout, connection error or HTTP error): Chat gets the UPSTREAM_FAILURE_POLICY answer instead of the app's.",
        ),
      ],
    },
    restMeterGroup(config),
  ]
}

export function alertRules(groups: RuleGroup[]): AlertRule[] {
  return groups.flatMap((group) => group.rules.filter((rule): rule is AlertRule => 'alert' in rule))
}

const HEADER = `# Prometheus alert and recording rules for tencent-chat-exporter.
# Generated from prometheus/config.ts (selectors and thresholds) and prometheus/src/rules.ts:
# edit those and run \`npx tsx scripts/generate-monitoring.ts\`, do not edit this file by hand.
# Runbook: docs/runbook.md. Unit tests: prometheus/tests/ (promtool test rules).
`

/** The rules file as committed: plain Prometheus rule-file YAML, stable byte for byte. */
export function renderRules(config: MonitoringConfig): string {
  return HEADER + stringify({ groups: ruleGroups(config) }, { lineWidth: 0 })
}
