/**
 * Lets at most `burst` log lines per key through in each window, and reports how many were held
 * back, so that a flood of bad requests cannot flood the log while the first ones are still seen.
 */
export function createLogThrottle(options: { windowMs: number; burst: number }) {
  const windows = new Map<string, { startMs: number; logged: number; suppressed: number }>()
  return {
    /** Whether to log now; `suppressed` counts the lines held back in the previous window. */
    take(key: string, nowMs: number): { log: boolean; suppressed: number } {
      let window = windows.get(key)
      let suppressed = 0
      if (window === undefined || nowMs - window.startMs >= options.windowMs) {
        suppressed = window?.suppressed ?? 0
        window = { startMs: nowMs, logged: 0, suppressed: 0 }
        windows.set(key, window)
      }
      if (window.logged < options.burst) {
        window.logged += 1
        return { log: true, suppressed }
      }
      window.suppressed += 1
      return { log: false, suppressed }
    },
  }
}

export type LogThrottle = ReturnType<typeof createLogThrottle>
