import { setTimeout as sleep } from 'node:timers/promises'

/** A failure that no waiting will change (a process exited, admission refused a Pod): fails at once. */
export class FinalError extends Error {
  override name = 'FinalError'
}

/**
 * Polls `check` until it returns a value (not undefined), for at most `timeoutMs`. Any other error is
 * retried (a busy server, a port not yet open) and the last one reported on timeout; a FinalError fails
 * at once.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      if (error instanceof FinalError) throw error
      lastError = error
    }
    await sleep(intervalMs)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ''}`)
}
