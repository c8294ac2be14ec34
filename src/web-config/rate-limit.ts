/**
 * A token bucket like Go's golang.org/x/time/rate, which exporter-toolkit's `rate_limit` uses: one
 * token every `intervalMs`, at most `burst` saved up; a request takes one or is refused.
 */
export function createRateLimiter(options: { intervalMs: number; burst: number }, now: () => number) {
  let tokens = options.burst
  let last = now()
  return {
    allow(): boolean {
      const at = now()
      tokens = Math.min(options.burst, tokens + (at - last) / options.intervalMs)
      last = at
      if (tokens < 1) return false
      tokens -= 1
      return true
    },
  }
}
