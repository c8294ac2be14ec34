import type { LimitSource } from '../rest-meter/known-limits.js'
import { METER_FAILURES, type MeterFailure } from '../rest-meter/meter-answers.js'
import type { MeterState } from '../rest-meter/meter-state.js'
import { DURATION_BUCKETS } from '../rest-meter/metered-apis.js'
import { PEAK_WINDOW_SECONDS } from '../rest-meter/peak-window.js'
import { type CumulativeBucket, quantileUpperBound } from './latency-bound.js'
import type { Utilization } from './status-data.js'

/** The REST meter as a whole: off, or where it forwards and how the calls ended. */
export type RestMeterSummary =
  | { enabled: false }
  | {
      enabled: true
      /** CHAT_REST_URL's origin: where the calls go. */
      chat_rest_url: string
      /** Calls that Chat answered, whatever the answer. */
      answered_total: number
      /** Calls that got no complete answer, by reason. */
      failures: Record<MeterFailure, number>
      in_flight: number
    }

/** One answer of Chat as `tencent_chat_rest_requests_total` counts it. */
export interface RestAnswerCount {
  action_status: string
  error_code: string
  total: number
}

/** One API of one app that the REST meter has seen (names as in docs/metrics.md; times Unix seconds). */
export interface RestApiStatus {
  sdkappid: string
  service_name: string
  command: string
  /** Calls started in the last 60 s, divided by 60. */
  requests_per_second: number
  /** Most calls started within one whole second over the last 60 s. */
  peak_requests_per_second: number
  known_limit_per_second: number | null
  /** Where the limit comes from: `configured` (API_LIMITS_FILE), `alarm`, `documented`; null without one. */
  known_limit_source: LimitSource | null
  /** The peak over the known limit; null without a known limit. */
  peak_utilization_ratio: Utilization
  /** Chat's answers by ActionStatus and ErrorCode, the most frequent first. */
  answers: RestAnswerCount[]
  /** Calls that got no complete answer, by reason. */
  failures: Record<MeterFailure, number>
  /**
   * An upper bound of the p99 of the answered calls' durations: the histogram bucket it falls in (so
   * "at most"); `"+Inf"` past the largest bucket; null before the first answer.
   */
  p99_duration_seconds_at_most: number | '+Inf' | null
  in_flight: number
  last_call_timestamp_seconds: number
}

/** What the REST meter section of the status is read from: the meter's state, and where it forwards. */
export interface RestMeterSource {
  state: MeterState
  chatRestUrl: URL
}

/** An API's counts per duration bucket as a histogram's cumulative buckets, `+Inf` last. */
function cumulative(durations: Uint32Array): CumulativeBucket[] {
  let count = 0
  return Array.from(durations, (inBucket, i) => {
    count += inBucket
    return { le: DURATION_BUCKETS[i] ?? Infinity, count }
  })
}

const noFailures = () =>
  Object.fromEntries(METER_FAILURES.map((reason) => [reason, 0])) as Record<MeterFailure, number>

/** The utilisation as a number to sort by: unknown below every ratio, `+Inf` above. */
const sortable = (value: Utilization) => (value === null ? -1 : value === '+Inf' ? Infinity : value)
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/**
 * Every API the REST meter has seen, as of `nowMs`, the highest peak utilisation first (an unknown limit
 * last), then the highest peak, the latest call, and by name; and the meter's summary. Read from the
 * meter's record of each API (src/rest-meter/metered-apis.ts): its answers and failures (the same counts
 * as its metrics), its peak window and its duration buckets.
 */
export function collectRestMeter(
  source: RestMeterSource | undefined,
  nowMs: number,
): { summary: RestMeterSummary; apis: RestApiStatus[] } {
  if (source === undefined) return { summary: { enabled: false }, apis: [] }
  const { apis, knownLimits } = source.state
  const rows: RestApiStatus[] = []
  const totals = { answered: 0, failures: noFailures(), inFlight: 0 }
  for (const api of apis) {
    const { sdkappid, service_name, command } = api.labels
    const known = knownLimits.of(sdkappid, service_name, command)
    const { peak, calls } = api.peak.read(nowMs)
    const apiAnswers: RestAnswerCount[] = []
    for (const { labels, total } of api.answers.values()) {
      apiAnswers.push({ action_status: labels.action_status, error_code: labels.error_code, total })
    }
    apiAnswers.sort((a, b) => b.total - a.total || compareText(a.error_code, b.error_code))
    const apiFailures = { ...api.failures }
    for (const answer of apiAnswers) totals.answered += answer.total
    for (const reason of METER_FAILURES) totals.failures[reason] += apiFailures[reason]
    totals.inFlight += api.inFlight
    rows.push({
      sdkappid,
      service_name,
      command,
      requests_per_second: calls / PEAK_WINDOW_SECONDS,
      peak_requests_per_second: peak,
      known_limit_per_second: known?.perSecond ?? null,
      known_limit_source: known?.source ?? null,
      peak_utilization_ratio: known === undefined ? null : ratio(peak, known.perSecond),
      answers: apiAnswers,
      failures: apiFailures,
      p99_duration_seconds_at_most: quantileUpperBound(cumulative(api.durations), 0.99),
      in_flight: api.inFlight,
      last_call_timestamp_seconds: api.lastCallMs / 1000,
    })
  }
  rows.sort(
    (a, b) =>
      // Infinity − Infinity is NaN, which || passes over like 0.
      sortable(b.peak_utilization_ratio) - sortable(a.peak_utilization_ratio) ||
      b.peak_requests_per_second - a.peak_requests_per_second ||
      b.last_call_timestamp_seconds - a.last_call_timestamp_seconds ||
      compareText(a.sdkappid, b.sdkappid) ||
      compareText(a.service_name, b.service_name) ||
      compareText(a.command, b.command),
  )
  return {
    summary: {
      enabled: true,
      chat_rest_url: source.chatRestUrl.origin,
      answered_total: totals.answered,
      failures: totals.failures,
      in_flight: totals.inFlight,
    },
    apis: rows,
  }
}

function ratio(used: number, limit: number): Utilization {
  if (!(limit > 0)) return null
  const value = used / limit
  return Number.isFinite(value) ? value : '+Inf'
}
