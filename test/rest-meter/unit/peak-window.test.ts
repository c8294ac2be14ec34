import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PEAK_WINDOW_SECONDS, PeakWindow } from '../../../src/rest-meter/peak-window.js'

const T0 = Date.UTC(2026, 11, 7, 6, 0, 0)

describe('PeakWindow', () => {
  it('counts calls per whole second of the clock, not per 1,000 ms from the first call', () => {
    const window = new PeakWindow()
    // 3 calls at the end of one second and 3 at the start of the next: 6 within 1,000 ms, 3 per second.
    for (const ms of [900, 950, 999, 1000, 1001, 1050]) window.add(T0 + ms)
    expect(window.peak(T0 + 1500)).toBe(3)
    window.add(T0 + 1999)
    expect(window.peak(T0 + 1999)).toBe(4)
  })

  it('looks back over the last 60 whole seconds, the current one included', () => {
    const window = new PeakWindow()
    for (let i = 0; i < 5; i++) window.add(T0 + 200)
    window.add(T0 + 10_000)
    expect(window.peak(T0 + 200)).toBe(5)
    expect(window.peak(T0 + (PEAK_WINDOW_SECONDS - 1) * 1000 + 999)).toBe(5)
    expect(window.peak(T0 + PEAK_WINDOW_SECONDS * 1000)).toBe(1)
    expect(window.peak(T0 + (PEAK_WINDOW_SECONDS + 10) * 1000)).toBe(0)
  })

  it('starts a slot afresh when its second comes round again', () => {
    const window = new PeakWindow()
    for (let i = 0; i < 7; i++) window.add(T0)
    window.add(T0 + PEAK_WINDOW_SECONDS * 1000)
    expect(window.peak(T0 + PEAK_WINDOW_SECONDS * 1000)).toBe(1)
  })

  it('is 0 before any call', () => {
    expect(new PeakWindow().peak(T0)).toBe(0)
  })

  it('equals the most calls in one whole second of the window, for any calls in time order', () => {
    // Gaps in milliseconds between calls, some long enough to leave the window, then when it is read.
    const gaps = fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 90_000 })), {
      maxLength: 300,
    })
    fc.assert(
      fc.property(gaps, fc.integer({ min: 0, max: 120_000 }), (steps, readAfter) => {
        const window = new PeakWindow()
        const calls: number[] = []
        let now = T0
        for (const gap of steps) {
          now += gap
          window.add(now)
          calls.push(now)
        }
        const readAt = now + readAfter
        const second = Math.floor(readAt / 1000)
        const perSecond = new Map<number, number>()
        for (const at of calls) {
          const s = Math.floor(at / 1000)
          if (s > second - PEAK_WINDOW_SECONDS && s <= second) perSecond.set(s, (perSecond.get(s) ?? 0) + 1)
        }
        expect(window.peak(readAt)).toBe(Math.max(0, ...perSecond.values()))
      }),
      { numRuns: 500 },
    )
  })
})
