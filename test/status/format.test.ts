import { describe, expect, it } from 'vitest'
import { formatAgo, formatDuration, formatIso, formatNumber, formatPercent } from '../../src/status/format.js'

describe('formatting for the status page', () => {
  it.each([
    [0, '0 s'],
    [59_999, '59 s'],
    [60_000, '1 min'],
    [61_000, '1 min 1 s'],
    [3_600_000, '1 h'],
    [3_661_000, '1 h 1 min'],
    [90_061_000, '1 d 1 h'],
  ])('a duration of %i ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text)
  })

  it('says how long ago, or in how long for a time ahead of the clock', () => {
    expect(formatAgo(10_000, 10_400)).toBe('just now')
    expect(formatAgo(0, 12_000)).toBe('12 s ago')
    expect(formatAgo(5_000, 0)).toBe('in 5 s')
  })

  it('writes numbers, percentages and times as a person reads them', () => {
    expect(formatNumber(1234567)).toBe('1,234,567')
    expect(formatNumber(12.345)).toBe('12.35')
    expect(formatPercent(2.55)).toBe('255%')
    expect(formatPercent(0.0123)).toBe('1.2%')
    expect(formatIso(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05Z')
  })
})
