import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SeriesTable } from '../../src/series/series-table.js'

function table(maxEntries = 3, ttlMs = 1000) {
  const events: string[] = []
  const series = new SeriesTable<string>({
    ttlMs,
    maxEntries,
    onExpire: (key) => events.push(`expire ${key}`),
    onForget: (key) => events.push(`forget ${key}`),
  })
  return { series, events }
}

describe('SeriesTable', () => {
  it('tracks new keys and updates known ones', () => {
    const { series, events } = table()
    expect(series.record('a', 0)).toBe('new')
    expect(series.record('a', 10)).toBe('updated')
    expect(series.size).toBe(1)
    expect(events).toEqual([])
  })

  it('expires a key once the TTL passes without an alert, and keeps it tracked', () => {
    const { series, events } = table()
    series.record('a', 0)
    series.sweep(1000)
    expect(events).toEqual([])
    series.sweep(1001)
    expect(events).toEqual(['expire a'])
    expect(series.size).toBe(1)
    expect(series.liveSize).toBe(0)
    series.sweep(5000)
    expect(events).toEqual(['expire a'])
  })

  it('measures the TTL from the latest alert', () => {
    const { series, events } = table()
    series.record('a', 0)
    series.record('a', 900)
    series.sweep(1500)
    expect(events).toEqual([])
    series.sweep(1901)
    expect(events).toEqual(['expire a'])
  })

  it('brings an expired key back to life on a new alert', () => {
    const { series, events } = table()
    series.record('a', 0)
    series.sweep(2000)
    expect(series.record('a', 2000)).toBe('updated')
    expect(series.liveSize).toBe(1)
    series.sweep(2500)
    expect(events).toEqual(['expire a'])
  })

  it('when full, forgets the least recently alerted expired key to make room', () => {
    const { series, events } = table(3)
    series.record('a', 0)
    series.record('b', 100)
    series.record('c', 200)
    series.record('a', 300) // a is now the most recently alerted
    expect(series.record('d', 1150)).toBe('new') // b expired after 1100, c is live until 1200
    expect(events).toEqual(['expire b', 'forget b'])
    expect(series.has('b')).toBe(false)
    expect(series.size).toBe(3)
  })

  it('when full and every key is within its TTL, drops the new key', () => {
    const { series, events } = table(2)
    series.record('a', 0)
    series.record('b', 10)
    expect(series.record('c', 500)).toBe('dropped')
    expect(series.has('c')).toBe(false)
    expect(series.record('a', 600)).toBe('updated')
    expect(events).toEqual([])
  })

  it('evicts in order of last alert across many keys', () => {
    const { series, events } = table(3, 100)
    for (const [key, time] of [
      ['a', 0],
      ['b', 10],
      ['c', 20],
    ] as const)
      series.record(key, time)
    series.record('b', 50)
    series.record('x', 200) // a, c, b all expired; a is oldest
    series.record('y', 201) // c is next
    expect(events.filter((e) => e.startsWith('forget'))).toEqual(['forget a', 'forget c'])
    expect(series.has('b')).toBe(true)
  })
})

/**
 * The rules, as plainly as they can be written: two Maps kept in order of the last alert by deleting
 * and re-inserting a key (the table's implementation before its entries were linked into lists).
 */
function modelTable(maxEntries: number, ttlMs: number, events: string[]) {
  const live = new Map<string, number>()
  const expired = new Map<string, number>()
  const sweep = (nowMs: number) => {
    for (const [key, lastMs] of live) {
      if (nowMs - lastMs <= ttlMs) return
      live.delete(key)
      expired.set(key, lastMs)
      events.push(`expire ${key}`)
    }
  }
  return {
    record(key: string, nowMs: number): string {
      sweep(nowMs)
      if (live.delete(key) || expired.delete(key)) {
        live.set(key, nowMs)
        return 'updated'
      }
      if (live.size + expired.size >= maxEntries) {
        const oldest = expired.keys().next()
        if (oldest.done) return 'dropped'
        expired.delete(oldest.value)
        events.push(`forget ${oldest.value}`)
      }
      live.set(key, nowMs)
      return 'new'
    },
    sweep,
    get size() {
      return live.size + expired.size
    },
    get liveSize() {
      return live.size
    },
    has: (key: string) => live.has(key) || expired.has(key),
  }
}

describe('SeriesTable against the plain model of its rules', () => {
  type Op = { kind: 'record'; key: number } | { kind: 'sweep' } | { kind: 'wait'; ms: number }
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({ kind: fc.constant('record' as const), key: fc.integer({ min: 0, max: 7 }) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 700 }) }),
    },
  )

  it('gives the same outcomes, expiries and evictions, in the same order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 1500 }),
        fc.array(op, { maxLength: 80 }),
        (max, ttl, ops) => {
          const { series, events } = table(max, ttl)
          const modelEvents: string[] = []
          const model = modelTable(max, ttl, modelEvents)
          let nowMs = 0
          for (const o of ops) {
            if (o.kind === 'wait') nowMs += o.ms
            else if (o.kind === 'sweep') {
              series.sweep(nowMs)
              model.sweep(nowMs)
            } else expect(series.record(`k${o.key}`, nowMs)).toBe(model.record(`k${o.key}`, nowMs))
            expect(events).toEqual(modelEvents)
            expect([series.size, series.liveSize]).toEqual([model.size, model.liveSize])
          }
          for (let key = 0; key < 8; key++) expect(series.has(`k${key}`)).toBe(model.has(`k${key}`))
        },
      ),
      { numRuns: 2000 },
    )
  })
})
