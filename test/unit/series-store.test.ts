import { describe, expect, it } from 'vitest'
import { createApiSeries } from '../../src/series/api-series.js'
import { createGroupQuotaSeries } from '../../src/series/group-quota-series.js'

function series(limits = { alertTtlSeconds: 60, maxSeries: 2 }) {
  return { api: createApiSeries(limits), group: createGroupQuotaSeries(limits) }
}

const alert = (command: string, request: number, limit = 200) => ({
  serviceName: 'openim',
  command,
  request,
  limit,
})

describe('ApiSeries.entries', () => {
  it('reads every tracked API as a plain record, live until its TTL passes', () => {
    const { api } = series()
    api.record('1400000001', alert('sendmsg', 170), 1_000)
    api.record('1400000001', alert('sendmsg', 190, 0), 31_000)
    api.record('1400000002', alert('batchsendmsg', 50), 40_000)
    expect([...api.entries(91_000)]).toEqual([
      {
        sdkappid: '1400000001',
        serviceName: 'openim',
        command: 'sendmsg',
        request: 190,
        limit: 0,
        alerts: 2,
        lastAlertMs: 31_000,
        live: true,
      },
      {
        sdkappid: '1400000002',
        serviceName: 'openim',
        command: 'batchsendmsg',
        request: 50,
        limit: 200,
        alerts: 1,
        lastAlertMs: 40_000,
        live: true,
      },
    ])
    // Expired, still tracked: the latest numbers stay readable, `live` says they are stale.
    expect([...api.entries(91_001)].map((e) => [e.command, e.live])).toEqual([
      ['sendmsg', false],
      ['batchsendmsg', true],
    ])
  })

  it('yields fresh objects: changing one changes nothing in the store', () => {
    const { api } = series()
    api.record('1400000001', alert('sendmsg', 170), 0)
    const [entry] = [...api.entries(0)]
    if (entry === undefined) throw new Error('no entry')
    entry.request = 1
    expect([...api.entries(0)][0]?.request).toBe(170)
  })

  it('forgets an evicted API and leaves out a dropped one', () => {
    const { api } = series()
    api.record('1400000001', alert('a', 1), 0)
    api.record('1400000001', alert('b', 1), 10)
    expect(api.record('1400000001', alert('c', 1), 20)).toBe('dropped')
    expect([...api.entries(20)].map((e) => e.command)).toEqual(['a', 'b'])
    expect(api.record('1400000001', alert('c', 1), 60_001)).toBe('new') // a expired and is evicted
    expect([...api.entries(60_001)].map((e) => e.command)).toEqual(['b', 'c'])
  })

  it('keeps its index of APIs to the tracked ones through evictions, and counts a returning API afresh', () => {
    const limits = { alertTtlSeconds: 1, maxSeries: 3 }
    const api = createApiSeries(limits)
    const indexed = () =>
      [...api.index].flatMap(([app, services]) =>
        [...services].flatMap(([service, commands]) =>
          [...commands.keys()].map((c) => `${app} ${service} ${c}`),
        ),
      )
    for (let i = 0; i < 40; i++) {
      // Every alert comes after the others expired: each new API evicts the oldest.
      api.record(
        String(1400000000 + (i % 5)),
        { ...alert(`cmd${i % 7}`, i), serviceName: `svc${i % 2}` },
        i * 2000,
      )
      expect(indexed().sort()).toEqual(
        [...api.entries(i * 2000)].map((e) => `${e.sdkappid} ${e.serviceName} ${e.command}`).sort(),
      )
    }
    expect(indexed()).toHaveLength(3)
    // An evicted API that comes back starts from one alert again.
    const [first] = [...api.entries(80_000)]
    if (first === undefined) throw new Error('no entry')
    for (let i = 0; i < 3; i++) api.record('1400000009', alert(`other${i}`, 1), 100_000 + i)
    api.record(first.sdkappid, { ...alert(first.command, 5), serviceName: first.serviceName }, 200_000)
    expect([...api.entries(200_000)].find((e) => e.command === first.command)?.alerts).toBe(1)
  })
})

describe('GroupQuotaSeries.entries', () => {
  it('reads every tracked app as a plain record', () => {
    const { group } = series()
    group.record('1400000001', { quotaUsed: 7321, quota: 10000, eventTimeMs: undefined }, 5_000)
    group.record('1400000001', { quotaUsed: 7400, quota: 10000, eventTimeMs: undefined }, 6_000)
    expect([...group.entries(6_000)]).toEqual([
      { sdkappid: '1400000001', quotaUsed: 7400, quota: 10000, alerts: 2, lastAlertMs: 6_000, live: true },
    ])
    expect([...group.entries(66_001)][0]?.live).toBe(false)
  })
})
