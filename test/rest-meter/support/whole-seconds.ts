/** How close to a second's edge a call may be and still be trusted to fall on the same side everywhere. */
const EDGE_MS = 3

/**
 * Whether all `calls` fell within one whole second of the clock both when the client sent them and when
 * the fake Chat received them. The meter counts a call in the second it started, which lies between the
 * two: then the meter and the fake Chat counted these calls in the same second, and their per-second
 * peaks can be compared exactly.
 */
export function withinOneSecond(calls: ReadonlyArray<{ sentMs: number; arrivedMs: number }>): boolean {
  const first = calls[0]
  if (first === undefined) return false
  const start = Math.floor(first.sentMs / 1000) * 1000
  return calls.every(
    ({ sentMs, arrivedMs }) =>
      sentMs >= start + EDGE_MS && arrivedMs >= sentMs && arrivedMs < start + 1000 - EDGE_MS,
  )
}
