/** One bucket of a Prometheus histogram: the observations at most `le` (cumulative), `le` Infinity last. */
export interface CumulativeBucket {
  le: number
  count: number
}

/**
 * An upper bound of a quantile (0.99: the p99) of a histogram's observations: the `le` of the first
 * bucket that holds the quantile's rank, so that at least that share of the observations is at most it.
 * `'+Inf'` when only the last bucket does (above the largest finite bound: no bound known); `null` when
 * the histogram is empty. The buckets are in increasing `le` order, the last one `+Inf`, as a histogram
 * exposes them. A histogram cannot say more than this: within a bucket the observations could be anywhere.
 */
export function quantileUpperBound(
  buckets: readonly CumulativeBucket[],
  quantile: number,
): number | '+Inf' | null {
  const total = buckets.at(-1)?.count ?? 0
  if (total <= 0) return null
  // Less a hair, for a product that binary floating point puts just above a whole number.
  const rank = Math.max(1, Math.ceil(quantile * total - 1e-9))
  for (const bucket of buckets) {
    if (bucket.count >= rank) return Number.isFinite(bucket.le) ? bucket.le : '+Inf'
  }
  return '+Inf'
}
