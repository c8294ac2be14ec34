import type { CallbackTokens } from './callback-tokens.js'
import { computeSign } from './signature.js'

/**
 * The Sign each token gives for a RequestTime, computed once per RequestTime instead of once per
 * callback. Chat signs `Token + RequestTime` with RequestTime in whole seconds, so the callbacks of
 * one second all expect the same Sign: hashing it for every callback cost a `crypto` Hash object and
 * two Buffers each time, more in garbage collection than in the hash.
 *
 * Safe by construction:
 * - Built for one token list: the list in force is read on every lookup, and when it is another list
 *   (a rotation replaces `current` with a new frozen array), every kept Sign is dropped before the
 *   lookup. A token removed from the token file stops matching on the very next callback.
 * - Bounded: only RequestTimes that passed the skew check are looked up (authenticate checks it
 *   first), entries outside the window are pruned from the oldest on, and at most `MAX_ENTRIES` are
 *   kept (the oldest goes first), whatever RequestTimes a client invents (`0001700000000` and
 *   `1700000000` are different texts, and sign differently).
 */
export interface ExpectedSigns {
  /**
   * The lower-case hex Sign of each token in force for this RequestTime (as sent: the text is what
   * is signed), in the order of the tokens. `nowSeconds` prunes what has left the skew window.
   */
  forRequestTime(requestTime: string, nowSeconds: number): readonly string[]
  /** How many RequestTimes are kept (for tests). */
  readonly size: number
}

/**
 * Enough for every second of a 60 s window in both directions with room to spare; a larger
 * MAX_CLOCK_SKEW_SECONDS still works, with RequestTimes seen long ago hashed again.
 */
export const MAX_ENTRIES = 256

export function createExpectedSigns(tokens: CallbackTokens, maxClockSkewSeconds: number): ExpectedSigns {
  // RequestTime text → the Sign of each token of `builtFor`. A Map iterates in insertion order, which
  // is nearly time order: Chat's RequestTimes follow the clock, so the oldest entry leaves first.
  const signs = new Map<string, readonly string[]>()
  let builtFor: readonly string[] = tokens.current

  return {
    forRequestTime(requestTime, nowSeconds) {
      const current = tokens.current
      if (current !== builtFor) {
        signs.clear()
        builtFor = current
      }
      const kept = signs.get(requestTime)
      if (kept !== undefined) return kept
      pruneOutsideWindow(nowSeconds)
      if (signs.size >= MAX_ENTRIES) signs.delete(signs.keys().next().value as string)
      const computed = Object.freeze(current.map((token) => computeSign(token, requestTime)))
      signs.set(requestTime, computed)
      return computed
    },
    get size() {
      return signs.size
    },
  }

  /** Drops the oldest entries while they are outside the skew window (they can never be asked again). */
  function pruneOutsideWindow(nowSeconds: number): void {
    for (const requestTime of signs.keys()) {
      if (Math.abs(Number(requestTime) - nowSeconds) <= maxClockSkewSeconds) return
      signs.delete(requestTime)
    }
  }
}
