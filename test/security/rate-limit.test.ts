import { describe, expect, it } from 'vitest'
import { manualClock } from '../../src/clock.js'
import { parseGoDuration } from '../../src/web-config/go-duration.js'
import { createRateLimiter } from '../../src/web-config/rate-limit.js'

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['100ms', 100],
    ['1s', 1000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    ['500us', 0.5],
  ])('reads %s', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms)
  })

  it.each(['', '1', 's', '1 s', '-1s', '1d', 'often'])('refuses %o', (text) => {
    expect(parseGoDuration(text)).toBeUndefined()
  })
})

describe('rate limiter', () => {
  it('lets a burst through, then one request per interval', () => {
    const clock = manualClock()
    const limiter = createRateLimiter({ intervalMs: 1000, burst: 2 }, clock.now)
    expect([limiter.allow(), limiter.allow(), limiter.allow()]).toEqual([true, true, false])
    clock.advance(999)
    expect(limiter.allow()).toBe(false)
    clock.advance(1)
    expect(limiter.allow()).toBe(true)
    // Tokens saved up never exceed the burst.
    clock.advance(60_000)
    expect([limiter.allow(), limiter.allow(), limiter.allow()]).toEqual([true, true, false])
  })
})
