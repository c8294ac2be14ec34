import { describe, expect, it } from 'vitest'
import { DOCUMENTED_LIMITS } from '../../../src/rest-meter/documented-limits.js'
import { KnownLimits } from '../../../src/rest-meter/known-limits.js'

const APP = '1400000001'

describe('KnownLimits', () => {
  it('takes the configured limit over an alarm, and an alarm over the documented limit', () => {
    const limits = new KnownLimits({ configured: new Map([['openim/sendmsg', 400]]), maxAlarms: 10 })
    expect(limits.of(APP, 'openim', 'sendmsg')).toEqual({ perSecond: 400, source: 'configured' })
    expect(limits.of(APP, 'sns', 'friend_get')).toEqual({ perSecond: 200, source: 'documented' })
    limits.alarmed(APP, 'openim', 'sendmsg', 300)
    limits.alarmed(APP, 'sns', 'friend_get', 250)
    expect(limits.of(APP, 'openim', 'sendmsg')).toEqual({ perSecond: 400, source: 'configured' })
    expect(limits.of(APP, 'sns', 'friend_get')).toEqual({ perSecond: 250, source: 'alarm' })
    limits.configure(new Map())
    expect(limits.of(APP, 'openim', 'sendmsg')).toEqual({ perSecond: 300, source: 'alarm' })
  })

  it('knows no limit of an API that Tencent documents none for, until an alarm or the file says', () => {
    const limits = new KnownLimits({ maxAlarms: 10 })
    expect(DOCUMENTED_LIMITS.has('custom_svc/custom_cmd')).toBe(false)
    expect(limits.of(APP, 'custom_svc', 'custom_cmd')).toBeUndefined()
    limits.alarmed(APP, 'custom_svc', 'custom_cmd', 20)
    expect(limits.of(APP, 'custom_svc', 'custom_cmd')).toEqual({ perSecond: 20, source: 'alarm' })
    limits.configure(new Map([['custom_svc/custom_cmd', 5]]))
    expect(limits.of(APP, 'custom_svc', 'custom_cmd')).toEqual({ perSecond: 5, source: 'configured' })
  })

  it("keeps each app's alarms apart, and the latest alarm's Limit", () => {
    const limits = new KnownLimits({ maxAlarms: 10 })
    limits.alarmed(APP, 'openim', 'sendmsg', 300)
    limits.alarmed(APP, 'openim', 'sendmsg', 350)
    limits.alarmed('1400000002', 'openim', 'sendmsg', 999)
    expect(limits.of(APP, 'openim', 'sendmsg')).toEqual({ perSecond: 350, source: 'alarm' })
    expect(limits.of('1400000002', 'openim', 'sendmsg')).toEqual({ perSecond: 999, source: 'alarm' })
    expect(limits.of('1400000003', 'openim', 'sendmsg')).toEqual({ perSecond: 200, source: 'documented' })
  })

  it('ignores an alarm whose Limit says nothing of the limit', () => {
    const limits = new KnownLimits({ maxAlarms: 10 })
    for (const limit of [0, -1, Number.NaN]) limits.alarmed(APP, 'openim', 'sendmsg', limit)
    expect(limits.of(APP, 'openim', 'sendmsg')).toEqual({ perSecond: 200, source: 'documented' })
  })

  it('remembers at most maxAlarms APIs, forgetting the one alarmed longest ago', () => {
    const limits = new KnownLimits({ maxAlarms: 2 })
    limits.alarmed(APP, 'a', 'one', 1)
    limits.alarmed(APP, 'a', 'two', 2)
    // A new alarm for the first makes it the latest: the second is then the oldest.
    limits.alarmed(APP, 'a', 'one', 11)
    limits.alarmed(APP, 'a', 'three', 3)
    expect(limits.of(APP, 'a', 'one')).toEqual({ perSecond: 11, source: 'alarm' })
    expect(limits.of(APP, 'a', 'two')).toBeUndefined()
    expect(limits.of(APP, 'a', 'three')).toEqual({ perSecond: 3, source: 'alarm' })
    for (let i = 0; i < 1000; i++) limits.alarmed(APP, 'b', `c${i}`, 5)
    expect(limits.of(APP, 'b', 'c998')).toBeDefined()
    expect(limits.of(APP, 'b', 'c997')).toBeUndefined()
    expect(limits.of(APP, 'a', 'one')).toBeUndefined()
  })
})
