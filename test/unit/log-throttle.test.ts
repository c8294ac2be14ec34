import { describe, expect, it } from 'vitest'
import { createLogThrottle } from '../../src/logging/log-throttle.js'

describe('createLogThrottle', () => {
  it('lets a burst through per key and window, then reports what it held back', () => {
    const throttle = createLogThrottle({ windowMs: 60_000, burst: 2 })
    expect(throttle.take('a', 0)).toEqual({ log: true, suppressed: 0 })
    expect(throttle.take('a', 1)).toEqual({ log: true, suppressed: 0 })
    expect(throttle.take('a', 2)).toEqual({ log: false, suppressed: 0 })
    expect(throttle.take('a', 3)).toEqual({ log: false, suppressed: 0 })
    expect(throttle.take('b', 4)).toEqual({ log: true, suppressed: 0 })
    expect(throttle.take('a', 60_000)).toEqual({ log: true, suppressed: 2 })
    expect(throttle.take('a', 60_001)).toEqual({ log: true, suppressed: 0 })
  })
})
