/**
 * The one place for the selectors and thresholds that the alert rules and the dashboards share
 * (the `_config` of a monitoring mixin). Change a value here, then regenerate the committed files:
 *
 *   npx tsx scripts/generate-monitoring.ts
 *
 * which rewrites prometheus/rules/tencent-chat-exporter.rules.yml and grafana/dashboards/*.json.
 * The promtool tests in prometheus/tests/ are written against these defaults.
 */
export const monitoringConfig = {
  /** Scrape job of the exporter; alerts select its series with `selector`. */
  jobName: 'tencent-chat-exporter',
  /** Label matchers that pick the exporter's series in every alert rule (PromQL, without braces). */
  selector: 'job="tencent-chat-exporter"',
  /**
   * Labels that differ between replicas of the exporter. Counters are summed and gauges maxed
   * `without` these, so several replicas behind one callback URL read as one exporter.
   */
  replicaLabels: ['instance', 'pod'],

  /** Utilisation (Request / Limit) at which an API is near its limit. Chat starts alerting above 0.8. */
  apiNearLimitRatio: 0.8,
  /** Utilisation at which an API is over its limit: Chat is throttling it. */
  apiOverLimitRatio: 1.0,
  /** Group daily quota utilisation (QuotaUsed / Quota) worth a warning. Chat alarms above 0.7. */
  groupQuotaNearLimitRatio: 0.9,
  /** Share of the MAX_SERIES cap in use at which the exporter is about to start dropping alerts. */
  seriesCapNearRatio: 0.9,
  /** Share of forwarded callbacks failing (front-proxy mode) that pages. */
  upstreamFailureRatio: 0.05,

  /**
   * The REST meter (EGRESS_PORT). Peak utilisation (the most calls started in one second over the
   * known per-second limit) at which an API is near its limit: well before Chat's own alarm at 0.8, so
   * that there is time to act before Chat throttles.
   */
  restNearLimitRatio: 0.6,
  /** Share of the app's REST calls that got no answer from Chat or a Chat-side error, that pages. */
  restFailureRatio: 0.05,
  /** p99 of the REST calls' time through the meter, in seconds, above which Chat is slow. */
  restLatencyP99Seconds: 1,
  /** Window of the REST alerts' rates and of "any in the last …" (Throttled, UserSigRejected). */
  restWindow: '5m',

  /**
   * How long each condition must hold before its alert fires. The API and quota series are already
   * held for ALERT_TTL_SECONDS after each of Chat's alarms, so a `for` there would only delay the alert
   * without filtering anything (Chat sends nothing below 80%, and one alarm keeps the value for 5 min).
   */
  for: {
    apiNearLimit: '0m',
    apiOverLimit: '0m',
    groupQuotaNearLimit: '0m',
    exporterDown: '2m',
    exporterAbsent: '10m',
    authenticationFailures: '5m',
    droppingAlerts: '0m',
    seriesCapNearlyFull: '15m',
    upstreamFailing: '2m',
    tokenReloadFailing: '5m',
    restApiNearLimit: '5m',
    // Any throttled or UserSig-rejected call is already a failed call of the app: no wait.
    restThrottled: '0m',
    restUserSigRejected: '0m',
    restFailing: '5m',
    restLatencyHigh: '10m',
  },

  /** Where every alert's `runbook_url` points: docs/runbook.md as published with the project. */
  runbookUrl: 'https://github.com/tencent-chat-exporter/tencent-chat-exporter/blob/main/docs/runbook.md',

  /** Dashboard settings. */
  dashboardTags: ['tencent-chat', 'tencent-chat-exporter'],
  dashboardRefresh: '30s',
}

export type MonitoringConfig = typeof monitoringConfig
