import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PEAK_WINDOW_SECONDS, PeakWindow } from '../../src/rest-meter/peak-window.js'
import { type CumulativeBucket, quantileUpperBound } from '../../src/status/latency-bound.js'

// The two figures of the status page's REST section that are computed rather than read: the calls in
// an API's peak window (its calls per second) and an upper bound of its p99 from histogram buckets.

const T0 = Date.UTC(2026, 11, 7, 6, 0, 0)

describe('PeakWindow.read: calls', () => {
  it('sums the calls of the last 60 whole seconds, the current one included', () => {
    const window = new PeakWindow()
    expect(window.read(T0).calls).toBe(0)
    for (let i = 0; i < 5; i++) window.add(T0 + 200)
    window.add(T0 + 10_000)
    window.add(T0 + 10_999)
    expect(window.read(T0 + 200).calls).toBe(5)
    expect(window.read(T0 + 10_500).calls).toBe(7)
    // The calls of a second ahead of `now` are not in its window.
    expect(window.read(T0 + 9_999).calls).toBe(5)
    expect(window.read(T0 + (PEAK_WINDOW_SECONDS - 1) * 1000 + 999).calls).toBe(7)
    expect(window.read(T0 + PEAK_WINDOW_SECONDS * 1000).calls).toBe(2)
    expect(window.read(T0 + (PEAK_WINDOW_SECONDS + 10) * 1000).calls).toBe(0)
  })

  it('forgets a slot whose second came round again', () => {
    const window = new PeakWindow()
    for (let i = 0; i < 7; i++) window.add(T0)
    window.add(T0 + PEAK_WINDOW_SECONDS * 1000)
    expect(window.read(T0 + PEAK_WINDOW_SECONDS * 1000).calls).toBe(1)
  })

  it('equals the calls started in the window, for any calls', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 200 })
          .map((ms) => ms.sort((a, b) => a - b)),
        fc.integer({ min: 0, max: 200_000 }),
        (offsets, nowOffset) => {
          const window = new PeakWindow()
          for (const ms of offsets) window.add(T0 + ms)
          const now = Math.floor((T0 + Math.max(nowOffset, offsets.at(-1) ?? 0)) / 1000)
          const expected = offsets.filter((ms) => {
            const second = Math.floor((T0 + ms) / 1000)
            return second > now - PEAK_WINDOW_SECONDS && second <= now
          }).length
          expect(window.read(now * 1000 + 999).calls).toBe(expected)
        },
      ),
    )
  })
})

/** Cumulative buckets from counts per bucket, `le` the REST histogram's bounds then +Inf. */
function histogram(perBucket: number[], bounds = [0.005, 0.01, 0.025, 0.05, 0.1]): CumulativeBucket[] {
  let count = 0
  return [...bounds, Infinity].map((le, i) => {
    count += perBucket[i] ?? 0
    return { le, count }
  })
}

describe('quantileUpperBound', () => {
  it('is the bound of the bucket that holds the 99th percentile', () => {
    // 100 calls: 98 at most 5 ms, 1 up to 10 ms, 1 up to 25 ms: the 99th is within 10 ms.
    expect(quantileUpperBound(histogram([98, 1, 1]), 0.99)).toBe(0.01)
    // 99 within 5 ms of 100: the p99 is too.
    expect(quantileUpperBound(histogram([99, 0, 1]), 0.99)).toBe(0.005)
    // A single call: the p99 is that call.
    expect(quantileUpperBound(histogram([0, 0, 0, 1]), 0.99)).toBe(0.05)
  })

  it('has no upper bound when the 99th percentile is past the last finite bucket, and none without calls', () => {
    expect(quantileUpperBound(histogram([90, 0, 0, 0, 0, 10]), 0.99)).toBe('+Inf')
    expect(quantileUpperBound(histogram([]), 0.99)).toBeNull()
    expect(quantileUpperBound([], 0.99)).toBeNull()
  })

  it('bounds the p99 of any observations: at least 99% at most it, fewer than 99% at most the bucket below', () => {
    const bounds = [0.005, 0.01, 0.025, 0.05, 0.1]
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 300 }),
        (seconds) => {
          const buckets = [...bounds, Infinity].map((le) => ({
            le,
            count: seconds.filter((value) => value <= le).length,
          }))
          const bound = quantileUpperBound(buckets, 0.99)
          const le = bound === '+Inf' ? Infinity : (bound as number)
          const atMost = (limit: number) => seconds.filter((value) => value <= limit).length
          expect(atMost(le)).toBeGreaterThanOrEqual(0.99 * seconds.length)
          const below = [...bounds, Infinity].filter((b) => b < le).at(-1)
          if (below !== undefined) expect(atMost(below)).toBeLessThan(0.99 * seconds.length)
          // The true p99 (the smallest value with 99% at most it) is at most the bound.
          const sorted = [...seconds].sort((a, b) => a - b)
          const p99 = sorted[Math.ceil(0.99 * sorted.length) - 1] as number
          expect(p99).toBeLessThanOrEqual(le)
        },
      ),
    )
  })
})
