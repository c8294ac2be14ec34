import { describe, expect, it } from 'vitest'
import { createCallbackTokens } from '../../src/auth/callback-tokens.js'
import { createExpectedSigns, MAX_ENTRIES } from '../../src/auth/expected-signs.js'
import { computeSign } from '../../src/auth/signature.js'

const NOW_S = 1_700_000_000

describe('createExpectedSigns', () => {
  it("gives each token's Sign for the RequestTime, in the tokens' order", () => {
    const tokens = createCallbackTokens('CALLBACK_TOKEN_FILE', ['a', 'b'])
    const signs = createExpectedSigns(tokens, 60)
    expect(signs.forRequestTime(String(NOW_S), NOW_S)).toEqual([
      computeSign('a', NOW_S),
      computeSign('b', NOW_S),
    ])
  })

  it('computes the Signs of a RequestTime once and keeps them', () => {
    const signs = createExpectedSigns(createCallbackTokens('CALLBACK_TOKEN', ['a']), 60)
    const first = signs.forRequestTime(String(NOW_S), NOW_S)
    expect(signs.forRequestTime(String(NOW_S), NOW_S + 0.9)).toBe(first)
    expect(signs.forRequestTime(String(NOW_S + 1), NOW_S + 1)).not.toBe(first)
    expect(signs.size).toBe(2)
  })

  it('drops every kept Sign when the tokens are rotated: a removed token never matches again', () => {
    const tokens = createCallbackTokens('CALLBACK_TOKEN_FILE', ['old'])
    const signs = createExpectedSigns(tokens, 60)
    const time = String(NOW_S)
    expect(signs.forRequestTime(time, NOW_S)).toEqual([computeSign('old', time)])
    tokens.replace(['old', 'new'])
    expect(signs.forRequestTime(time, NOW_S)).toEqual([computeSign('old', time), computeSign('new', time)])
    tokens.replace(['new'])
    expect(signs.forRequestTime(time, NOW_S)).toEqual([computeSign('new', time)])
    expect(signs.size).toBe(1)
    // Replaced by an equal list: a new list all the same, so the Signs are computed again.
    const before = signs.forRequestTime(time, NOW_S)
    tokens.replace(['new'])
    const after = signs.forRequestTime(time, NOW_S)
    expect(after).not.toBe(before)
    expect(after).toEqual(before)
  })

  it('prunes RequestTimes that have left the skew window as time goes on', () => {
    const signs = createExpectedSigns(createCallbackTokens('CALLBACK_TOKEN', ['a']), 60)
    for (let t = 0; t < 100; t++) signs.forRequestTime(String(NOW_S + t), NOW_S + t)
    // At NOW_S + 99, the times before NOW_S + 39 are more than 60 s behind.
    expect(signs.size).toBe(61)
    for (let t = 100; t < 400; t++) signs.forRequestTime(String(NOW_S + t), NOW_S + t)
    expect(signs.size).toBe(61)
  })

  it('keeps at most MAX_ENTRIES RequestTimes, however many distinct ones arrive within the window', () => {
    const signs = createExpectedSigns(createCallbackTokens('CALLBACK_TOKEN', ['a']), 86_400)
    const times: string[] = []
    // Distinct texts for times within the window: every second, with and without leading zeros.
    for (let t = 0; t < 3 * MAX_ENTRIES; t++) times.push(`${'0'.repeat(t % 3)}${NOW_S - 1000 + t}`)
    for (const time of times) signs.forRequestTime(time, NOW_S)
    expect(signs.size).toBe(MAX_ENTRIES)
    // The newest are kept, the oldest went first; a dropped one is computed again, the same.
    const last = times.at(-1) as string
    expect(signs.forRequestTime(last, NOW_S)).toEqual([computeSign('a', last)])
    expect(signs.forRequestTime(times[0] as string, NOW_S)).toEqual([computeSign('a', times[0] as string)])
    expect(signs.size).toBe(MAX_ENTRIES)
  })
})
