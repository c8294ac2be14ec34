/**
 * Every metric family the exporter defines: name, type, labels and help, in one place. The names, types
 * and labels are the public interface that dashboards and alert rules depend on (docs/metrics.md, which
 * a test compares with this file). prom-client's default process and Node.js metrics are the only
 * families not listed here.
 *
 * The families are grouped by what feeds them; within a group, in the order `/metrics` shows them.
 * `src/metrics/*-metrics.ts` create them from these definitions: prom-client's Counter, Gauge and
 * Histogram for most, and store families (src/metrics/store-family.ts) for the alarm series, whose
 * records are kept by src/series.
 */
export interface FamilyDefinition {
  readonly name: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly labelNames: readonly string[]
  readonly help: string
  /** A histogram's bucket upper bounds, in seconds for durations. */
  readonly buckets?: readonly number[]
}

/** The labels of one REST API of one app ("a tracked API"): `v4/<service_name>/<command>`. */
const API = ['sdkappid', 'service_name', 'command'] as const

// --- Alert.RequestOverLimit: the alarm series of each tracked API ---------------------------------

export const apiRequestsPerSecond = {
  name: 'tencent_chat_api_requests_per_second',
  type: 'gauge',
  labelNames: API,
  help: 'QPS of a Tencent Chat REST API reported by its latest Alert.RequestOverLimit callback; absent once ALERT_TTL_SECONDS pass without a new alert (the rate is then below 80% of the limit).',
} as const satisfies FamilyDefinition

export const apiRequestLimitPerSecond = {
  name: 'tencent_chat_api_request_limit_per_second',
  type: 'gauge',
  labelNames: API,
  help: 'QPS limit of a Tencent Chat REST API reported by its latest Alert.RequestOverLimit callback.',
} as const satisfies FamilyDefinition

export const apiUtilizationRatio = {
  name: 'tencent_chat_api_utilization_ratio',
  type: 'gauge',
  labelNames: API,
  help: 'Request / Limit of the latest Alert.RequestOverLimit callback (1 = at the limit); absent when Limit is 0 and once ALERT_TTL_SECONDS pass without a new alert.',
} as const satisfies FamilyDefinition

export const apiOverlimitAlerts = {
  name: 'tencent_chat_api_overlimit_alerts_total',
  type: 'counter',
  labelNames: API,
  help: 'Alert.RequestOverLimit callbacks received for a Tencent Chat REST API.',
} as const satisfies FamilyDefinition

export const apiLastAlertTimestamp = {
  name: 'tencent_chat_api_last_alert_timestamp_seconds',
  type: 'gauge',
  labelNames: API,
  help: 'Unix time at which the latest Alert.RequestOverLimit callback for a Tencent Chat REST API arrived.',
} as const satisfies FamilyDefinition

// --- Group.CallbackOnDailyGroupQuotaAlarm: the group quota series of each app ----------------------

export const groupDailyNetIncrease = {
  name: 'tencent_chat_group_daily_net_increase',
  type: 'gauge',
  labelNames: ['sdkappid'],
  help: "QuotaUsed of the latest Group.CallbackOnDailyGroupQuotaAlarm: today's net increase of groups (created minus dissolved); absent once ALERT_TTL_SECONDS pass without a new alarm.",
} as const satisfies FamilyDefinition

export const groupDailyQuota = {
  name: 'tencent_chat_group_daily_quota',
  type: 'gauge',
  labelNames: ['sdkappid'],
  help: 'Quota of the latest Group.CallbackOnDailyGroupQuotaAlarm: the daily net increase of groups allowed.',
} as const satisfies FamilyDefinition

export const groupDailyQuotaUtilizationRatio = {
  name: 'tencent_chat_group_daily_quota_utilization_ratio',
  type: 'gauge',
  labelNames: ['sdkappid'],
  help: 'QuotaUsed / Quota of the latest Group.CallbackOnDailyGroupQuotaAlarm; absent when Quota is 0 and once ALERT_TTL_SECONDS pass without a new alarm.',
} as const satisfies FamilyDefinition

export const groupQuotaAlerts = {
  name: 'tencent_chat_group_quota_alerts_total',
  type: 'counter',
  labelNames: ['sdkappid'],
  help: 'Group.CallbackOnDailyGroupQuotaAlarm callbacks received.',
} as const satisfies FamilyDefinition

// --- The callback listener -------------------------------------------------------------------------

export const callbacks = {
  name: 'tencent_chat_exporter_callbacks_total',
  type: 'counter',
  labelNames: ['sdkappid', 'callback_command'],
  help: 'Callbacks accepted (authenticated and well-formed), of every CallbackCommand.',
} as const satisfies FamilyDefinition

export const rejectedCallbacks = {
  name: 'tencent_chat_exporter_rejected_callbacks_total',
  type: 'counter',
  labelNames: ['reason'],
  help: 'Callback requests rejected, by reason (malformed_json, invalid_payload, sdkappid_not_allowed, missing_signature, stale_request, bad_signature, body_too_large, unsupported_encoding).',
} as const satisfies FamilyDefinition

export const droppedAlerts = {
  name: 'tencent_chat_exporter_dropped_alerts_total',
  type: 'counter',
  labelNames: ['reason'],
  help: 'Valid alerts answered OK but not turned into series, by reason (series_limit: MAX_SERIES tracked series are all within their TTL).',
} as const satisfies FamilyDefinition

export const trackedApis = {
  name: 'tencent_chat_exporter_tracked_apis',
  type: 'gauge',
  labelNames: [],
  help: 'Tencent Chat REST APIs tracked now (at most MAX_SERIES).',
} as const satisfies FamilyDefinition

export const trackedGroupQuotaApps = {
  name: 'tencent_chat_exporter_tracked_group_quota_apps',
  type: 'gauge',
  labelNames: [],
  help: 'Apps whose group daily quota series are tracked now (at most MAX_SERIES).',
} as const satisfies FamilyDefinition

// --- The exporter itself ----------------------------------------------------------------------------

export const maxSeries = {
  name: 'tencent_chat_exporter_max_series',
  type: 'gauge',
  labelNames: [],
  help: 'The configured MAX_SERIES: the most APIs tracked at once.',
} as const satisfies FamilyDefinition

export const alertTtlSeconds = {
  name: 'tencent_chat_exporter_alert_ttl_seconds',
  type: 'gauge',
  labelNames: [],
  help: "The configured ALERT_TTL_SECONDS: how long an alert's QPS and utilisation stay exposed.",
} as const satisfies FamilyDefinition

export const buildInfo = {
  name: 'tencent_chat_exporter_build_info',
  type: 'gauge',
  labelNames: ['version', 'nodejs_version'],
  help: 'Always 1; labelled with the exporter version and the Node.js version running it.',
} as const satisfies FamilyDefinition

export const httpRequestDuration = {
  name: 'tencent_chat_exporter_http_request_duration_seconds',
  type: 'histogram',
  labelNames: ['route', 'method', 'status'],
  help: 'Time to answer HTTP requests, by route, method and status code.',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
} as const satisfies FamilyDefinition

// --- Callback tokens (the last three only with CALLBACK_TOKEN_FILE) ---------------------------------

export const callbackTokens = {
  name: 'tencent_chat_exporter_callback_tokens',
  type: 'gauge',
  labelNames: [],
  help: 'Callback tokens in force: a Sign matching any of them is accepted (0: Sign verification is off).',
} as const satisfies FamilyDefinition

export const tokenFileLastReloadSuccessful = {
  name: 'tencent_chat_exporter_token_file_last_reload_successful',
  type: 'gauge',
  labelNames: [],
  help: 'Whether the latest read of CALLBACK_TOKEN_FILE succeeded (1) or failed and the previous tokens stay in force (0).',
} as const satisfies FamilyDefinition

export const tokenFileLastReloadSuccessTimestamp = {
  name: 'tencent_chat_exporter_token_file_last_reload_success_timestamp_seconds',
  type: 'gauge',
  labelNames: [],
  help: 'Unix time of the latest successful read of CALLBACK_TOKEN_FILE (start-up or a change).',
} as const satisfies FamilyDefinition

export const tokenFileReloadFailures = {
  name: 'tencent_chat_exporter_token_file_reload_failures_total',
  type: 'counter',
  labelNames: [],
  help: 'Reads of a changed CALLBACK_TOKEN_FILE that failed (unreadable, empty, no valid token); the tokens in force were kept.',
} as const satisfies FamilyDefinition

// --- Front-proxy mode (UPSTREAM_URL) ----------------------------------------------------------------

export const upstreamRequests = {
  name: 'tencent_chat_exporter_upstream_requests_total',
  type: 'counter',
  labelNames: ['callback_command', 'outcome'],
  help: 'Callbacks forwarded to the app (UPSTREAM_URL), by outcome: ok (HTTP 200), http_error (any other status, or an answer over BODY_LIMIT_BYTES), timeout (no complete answer within UPSTREAM_TIMEOUT_MS), connection_error (the app could not be reached or closed the connection).',
} as const satisfies FamilyDefinition

export const upstreamRequestDuration = {
  name: 'tencent_chat_exporter_upstream_request_duration_seconds',
  type: 'histogram',
  labelNames: ['callback_command'],
  help: 'Time from forwarding a callback to the app until its answer was read or the call failed; Chat waits 2 seconds in all.',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2],
} as const satisfies FamilyDefinition

export const callbackDecisions = {
  name: 'tencent_chat_callback_decisions_total',
  type: 'counter',
  labelNames: ['sdkappid', 'callback_command', 'error_code'],
  help: "The app's answers to before-callbacks (messages, group joins, friend requests), by ErrorCode: 0 allow, 1 forbid, 2 drop silently, 120001-130000 forbid with the app's own code, other for anything else.",
} as const satisfies FamilyDefinition

// --- The REST meter (EGRESS_PORT): the app's own REST calls to Chat --------------------------------

export const restRequests = {
  name: 'tencent_chat_rest_requests_total',
  type: 'counter',
  labelNames: [...API, 'action_status', 'error_code'],
  help: "REST calls of the app to a Tencent Chat API that Chat answered, by the answer's ActionStatus (OK, FAIL, none when it carried neither) and ErrorCode (0, a documented REST error code, or other).",
} as const satisfies FamilyDefinition

export const restRequestDuration = {
  name: 'tencent_chat_rest_request_duration_seconds',
  type: 'histogram',
  labelNames: API,
  help: "Time from a REST call's arrival at the meter until the last byte of Chat's answer was passed back, for the calls Chat answered.",
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
} as const satisfies FamilyDefinition

export const restPeakRequestsPerSecond = {
  name: 'tencent_chat_rest_peak_requests_per_second',
  type: 'gauge',
  labelNames: API,
  help: "Most REST calls to an API started within one whole second over the last 60 s: what Chat's per-second limit is measured against. Absent once ALERT_TTL_SECONDS pass without a call.",
} as const satisfies FamilyDefinition

export const restFailures = {
  name: 'tencent_chat_rest_failures_total',
  type: 'counter',
  labelNames: [...API, 'reason'],
  help: 'REST calls that got no complete answer from Chat, by reason: chat_unreachable (connection refused or reset, TLS failure, an answer that is not HTTP) or chat_timeout (no complete answer within CHAT_REST_TIMEOUT_MS).',
} as const satisfies FamilyDefinition

export const restRequestsInFlight = {
  name: 'tencent_chat_rest_requests_in_flight',
  type: 'gauge',
  labelNames: [],
  help: 'REST calls forwarded to Chat and waiting for its answer now.',
} as const satisfies FamilyDefinition

export const apiKnownLimitPerSecond = {
  name: 'tencent_chat_api_known_limit_per_second',
  type: 'gauge',
  labelNames: [...API, 'source'],
  help: "The per-second limit of an API the REST meter has seen, as known: from API_LIMITS_FILE (configured), else the latest Alert.RequestOverLimit's Limit (alarm), else Tencent's documented default (documented).",
} as const satisfies FamilyDefinition

export const restPeakUtilizationRatio = {
  name: 'tencent_chat_rest_peak_utilization_ratio',
  type: 'gauge',
  labelNames: API,
  help: 'tencent_chat_rest_peak_requests_per_second / tencent_chat_api_known_limit_per_second (1 = at the limit); absent without a known limit and with the peak.',
} as const satisfies FamilyDefinition

export const rejectedRestRequests = {
  name: 'tencent_chat_exporter_rejected_rest_requests_total',
  type: 'counter',
  labelNames: ['reason'],
  help: 'Requests the REST meter refused itself, by reason (not_a_chat_api, method_not_allowed, sdkappid_not_allowed, body_too_large); Chat never saw them.',
} as const satisfies FamilyDefinition

export const apiLimitsFileLastReloadSuccessful = {
  name: 'tencent_chat_exporter_api_limits_file_last_reload_successful',
  type: 'gauge',
  labelNames: [],
  help: 'Whether the latest read of API_LIMITS_FILE succeeded (1) or failed and the limits read before stay in force (0).',
} as const satisfies FamilyDefinition
