import type { UpstreamMetrics } from '../metrics/exporter-metrics.js'

/** How a forwarded callback ended: the `outcome` label of `tencent_chat_exporter_upstream_requests_total`. */
export const UPSTREAM_OUTCOMES = ['ok', 'http_error', 'timeout', 'connection_error'] as const
export type UpstreamOutcome = (typeof UPSTREAM_OUTCOMES)[number]

/** The label value that stands for every value past a cardinality cap, as in `tencent_chat_exporter_callbacks_total`. */
export const OVERFLOW_LABEL = '_other'

/**
 * At most this many distinct `callback_command` values get their own upstream series (Chat has about
 * 60 commands); the rest share `_other`. Without SDKAPPIDS and a token anyone can invent commands.
 */
export const MAX_COMMAND_LABELS = 100

/** At most this many `{sdkappid, callback_command, error_code}` sets get their own decision series. */
export const MAX_DECISION_SERIES = 1000

/**
 * Admits label values until `max` distinct keys were seen; later new keys are refused (and counted
 * under `_other` by the caller), so that untrusted input cannot grow the series without bound.
 */
export function createLabelCap(max: number) {
  const seen = new Set<string>()
  return (key: string): boolean => {
    if (seen.has(key)) return true
    if (seen.size >= max) return false
    seen.add(key)
    return true
  }
}

/**
 * Records forwarded callbacks. Each command's four outcomes start at 0 the first time the command is
 * forwarded, so that `rate()` and the upstream alert see its first failure as an increase.
 */
export function createUpstreamRecorder(metrics: UpstreamMetrics) {
  const admitCommand = createLabelCap(MAX_COMMAND_LABELS)
  const admitDecision = createLabelCap(MAX_DECISION_SERIES)
  const initialised = new Set<string>()

  function commandLabel(command: string): string {
    const label = admitCommand(command) ? command : OVERFLOW_LABEL
    if (!initialised.has(label)) {
      initialised.add(label)
      for (const outcome of UPSTREAM_OUTCOMES) metrics.requests.inc({ callback_command: label, outcome }, 0)
    }
    return label
  }

  return {
    request(command: string, outcome: UpstreamOutcome, seconds: number): void {
      const label = commandLabel(command)
      metrics.requests.inc({ callback_command: label, outcome })
      metrics.duration.observe({ callback_command: label }, seconds)
    },
    decision(sdkAppId: string, command: string, errorCode: string): void {
      metrics.decisions.inc(
        admitDecision(`${sdkAppId} ${command} ${errorCode}`)
          ? { sdkappid: sdkAppId, callback_command: command, error_code: errorCode }
          : { sdkappid: OVERFLOW_LABEL, callback_command: OVERFLOW_LABEL, error_code: OVERFLOW_LABEL },
      )
    },
  }
}

export type UpstreamRecorder = ReturnType<typeof createUpstreamRecorder>
