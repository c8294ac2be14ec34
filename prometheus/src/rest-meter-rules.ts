import { REST_ERROR_CODES, type RestErrorGroup } from '../../src/rest-meter/rest-error-codes.js'
import type { MonitoringConfig } from '../config.js'
import { alertMaker, type RuleGroup } from './rule-shapes.js'

/** Where a known limit comes from, most trusted first: the order the recording rule picks them in. */
export const LIMIT_SOURCES = ['configured', 'alarm', 'documented'] as const

/**
 * Each API's per-second limit as the most trusted source any meter knows it (the `source` label says
 * which), for the series `selector` (PromQL matchers without braces) picks.
 */
export function knownLimitExpr(selector: string, withoutReplicas: string): string {
  return LIMIT_SOURCES.map(
    (source) =>
      `max ${withoutReplicas} (tencent_chat_api_known_limit_per_second{${selector}, source="${source}"})`,
  ).join('\nor ignoring (source)\n')
}

/**
 * How much a counter grew within `window`, new series included. A counter series of the meter is created
 * by its first event (at 1), which increase() cannot see, since it never saw the series at 0: a series
 * that did not exist one window ago counts as its whole value.
 */
export function countedWithin(series: string, window: string, newline = ' '): string {
  return `(${series} unless ${series} offset ${window})${newline}or${newline}increase(${series}[${window}])`
}

/** A regular expression matching the `error_code` label of every code in the given groups. */
export function errorCodesMatching(...groups: RestErrorGroup[]): string {
  return groups.flatMap((group) => REST_ERROR_CODES[group]).join('|')
}

/**
 * The REST meter's rules (EGRESS_PORT: the app's own REST calls to Chat, measured per API).
 *
 * Several meters (one per app replica, or the chart's replicas behind one Service) each see part of an
 * app's calls, so an API's peaks are summed over them: an upper bound of the app's busiest second, since
 * their busiest seconds need not coincide. Its limit is the most trusted one any meter knows.
 */
export function restMeterGroup(config: MonitoringConfig): RuleGroup {
  const sel = config.selector
  const replicas = config.replicaLabels
  const without = (...labels: string[]) => `without (${[...replicas, ...labels].join(', ')})`
  const alert = alertMaker(config)
  const window = config.restWindow
  const inWords = windowInWords(window)
  const api = 'v4/{{ $labels.service_name }}/{{ $labels.command }} of SDKAppID {{ $labels.sdkappid }}'
  const requests = (matchers: string) => `tencent_chat_rest_requests_total{${sel}${matchers}}`
  const failures = `tencent_chat_rest_failures_total{${sel}}`

  const callsWithin = (codes: string) => countedWithin(requests(`,error_code=~"${codes}"`), window, '\n  ')

  /** The value of a recorded series of the alert's API, for an annotation. */
  const ofThisApi = (record: string, format: string) =>
    `{{ with printf \`${record}{job=%q,sdkappid=%q,service_name=%q,command=%q}\` $labels.job $labels.sdkappid $labels.service_name $labels.command | query }}${format}{{ end }}`

  return {
    name: 'tencent-chat-rest',
    rules: [
      {
        record: 'tencent_chat_rest:peak_requests_per_second:sum',
        expr: `sum ${without()} (tencent_chat_rest_peak_requests_per_second{${sel}})`,
      },
      {
        // The `source` label stays, for the annotations; each API has one series, of the most trusted source.
        record: 'tencent_chat_api:known_limit_per_second:max',
        expr: knownLimitExpr(sel, without()),
      },
      {
        record: 'tencent_chat_rest:peak_utilization_ratio:sum',
        expr: 'tencent_chat_rest:peak_requests_per_second:sum / ignoring (source) tencent_chat_api:known_limit_per_second:max',
      },
      alert(
        'TencentChatRestApiNearLimit',
        'warning',
        config.for.restApiNearLimit,
        `tencent_chat_rest:peak_utilization_ratio:sum >= ${config.restNearLimitRatio}`,
        "The app's busiest second on a Tencent Chat REST API nears the API's limit.",
        `${api} peaked at ${ofThisApi('tencent_chat_rest:peak_requests_per_second:sum', '{{ . | first | value | humanize }}')} calls in one second, {{ $value | humanizePercentage }} of its limit of ${ofThisApi('tencent_chat_api:known_limit_per_second:max', '{{ . | first | value | humanize }}/s ({{ . | first | label "source" }})')}. Chat alarms above 80% and throttles past 100%.`,
      ),
      alert(
        'TencentChatRestThrottled',
        'critical',
        config.for.restThrottled,
        `sum ${without('action_status')} (\n  ${callsWithin(errorCodesMatching('throttling'))}\n) > 0`,
        "Tencent Chat is throttling the app's REST calls.",
        `Chat answered {{ $value | humanize }} calls of the app to ${api} with ErrorCode {{ $labels.error_code }} in the last ${inWords} ({{ if eq $labels.error_code \`60007\` }}the API's per-second limit{{ else if eq $labels.error_code \`60011\` }}the app's overall per-second limit{{ else }}a frequency limit{{ end }}): those calls failed.`,
      ),
      alert(
        'TencentChatRestUserSigRejected',
        'critical',
        config.for.restUserSigRejected,
        `sum ${without('action_status', 'service_name', 'command')} (\n  ${callsWithin(errorCodesMatching('usersig'))}\n) > 0`,
        "Tencent Chat rejects the UserSig of the app's REST calls.",
        `Chat answered {{ $value | humanize }} REST calls of SDKAppID {{ $labels.sdkappid }} with UserSig error {{ $labels.error_code }} in the last ${inWords}: the admin UserSig the app signs its calls with is {{ if eq $labels.error_code \`70001\` }}expired{{ else }}wrong (another key, app or identifier, or damaged){{ end }}, and those calls failed.`,
      ),
      alert(
        'TencentChatRestFailing',
        'critical',
        config.for.restFailing,
        [
          `sum ${without('reason', 'action_status', 'error_code')} (`,
          `  rate(${failures}[${window}])`,
          `  or rate(${requests(`,error_code=~"${errorCodesMatching('internal', 'timeout')}"`)}[${window}])`,
          ')',
          '/',
          `sum ${without('reason', 'action_status', 'error_code')} (`,
          `  rate(${failures}[${window}])`,
          `  or rate(${requests('')}[${window}])`,
          ')',
          `> ${config.restFailureRatio}`,
        ].join('\n'),
        "The app's REST calls to Tencent Chat are failing.",
        `{{ $value | humanizePercentage }} of the app's calls to ${api} over the last ${inWords} got no answer from Chat (unreachable or timed out at the meter) or an internal error or timeout of Chat's backend.`,
      ),
      alert(
        'TencentChatRestLatencyHigh',
        'warning',
        config.for.restLatencyHigh,
        `histogram_quantile(0.99, sum ${without()} (rate(tencent_chat_rest_request_duration_seconds_bucket{${sel}}[${window}]))) > ${config.restLatencyP99Seconds}`,
        "Tencent Chat answers the app's REST calls slowly.",
        `The slowest 1% of the app's calls to ${api} take {{ $value | humanizeDuration }} or more through the meter (p99 over the last ${inWords}); Chat's backend gives up at 3 s.`,
      ),
    ],
  }
}

/** `5m` → `5 minutes`, for annotations read by people. */
function windowInWords(window: string): string {
  const match = /^(\d+)([smh])$/.exec(window)
  if (!match) return window
  const unit = { s: 'second', m: 'minute', h: 'hour' }[match[2] as 's' | 'm' | 'h']
  return `${match[1]} ${unit}${match[1] === '1' ? '' : 's'}`
}
