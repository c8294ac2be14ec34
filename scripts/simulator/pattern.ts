/**
 * The traffic story the simulator tells, as a pure function of progress through the run (0 to 1):
 *
 *   ramp     0.00-0.40  every API climbs from 80% towards its limit
 *   spike    0.40-0.65  the first API jumps far over its limit, the third just over it, the second
 *                       stays near (warning only)
 *   recover  0.65-1.00  every API falls below 80%: Chat sends nothing, and the exporter's series
 *                       expire ALERT_TTL_SECONDS later
 *
 * Chat sends Alert.RequestOverLimit only above 80% of the limit, so "no alarm" is `undefined`.
 */
export const PHASES = { rampEnd: 0.4, spikeEnd: 0.65 } as const

export type Phase = 'ramp' | 'spike' | 'recover'

export function phaseAt(progress: number): Phase {
  if (progress < PHASES.rampEnd) return 'ramp'
  if (progress < PHASES.spikeEnd) return 'spike'
  return 'recover'
}

/** Peak utilisation of each API during the spike, by its position in the list (cycled). */
const SPIKE_PEAKS = [2.55, 0.95, 1.15]

/** Request / Limit that Chat would report for the API at this point, or undefined for "below 80%". */
export function utilisationAt(progress: number, apiIndex: number): number | undefined {
  const phase = phaseAt(progress)
  if (phase === 'recover') return undefined
  if (phase === 'ramp') return 0.81 + 0.17 * (progress / PHASES.rampEnd)
  const peak = SPIKE_PEAKS[apiIndex % SPIKE_PEAKS.length] as number
  // Up to the peak and a little way back down within the spike, like a burst that is then throttled.
  const within = (progress - PHASES.rampEnd) / (PHASES.spikeEnd - PHASES.rampEnd)
  return peak - (peak - 0.9) * 0.3 * within
}

/** The app's daily net group increase as a share of its quota: 72% climbing to 96% by the spike's end. */
export function groupQuotaAt(progress: number): number | undefined {
  if (phaseAt(progress) === 'recover') return undefined
  return 0.72 + 0.24 * Math.min(1, progress / PHASES.spikeEnd)
}

/**
 * The REST calls' share of each API's per-second limit: the app's own traffic, which the REST meter sees
 * below 80% too. It climbs from 30% to 95% in the ramp, spikes as the alarms do (Chat throttles past
 * 100%), and falls back to 30%.
 */
export function restUtilisationAt(progress: number, apiIndex: number): number {
  const phase = phaseAt(progress)
  if (phase === 'ramp') return 0.3 + 0.65 * (progress / PHASES.rampEnd)
  if (phase === 'recover') return 0.3
  return utilisationAt(progress, apiIndex) as number
}
