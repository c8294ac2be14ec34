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
