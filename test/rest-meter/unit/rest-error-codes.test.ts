import { describe, expect, it } from 'vitest'
import { METER_ANSWERS } from '../../../src/rest-meter/meter-answers.js'
import { errorCodeLabel, REST_ERROR_CODES } from '../../../src/rest-meter/rest-error-codes.js'

describe('errorCodeLabel', () => {
  it('is the code itself for 0 and for each documented REST error code', () => {
    expect(errorCodeLabel(0)).toBe('0')
    for (const code of [60007, 60011, 70001, 70009, 90992, 20004])
      expect(errorCodeLabel(code)).toBe(String(code))
    for (const codes of Object.values(REST_ERROR_CODES)) {
      for (const code of codes) expect(errorCodeLabel(code)).toBe(String(code))
    }
  })

  it('is other for any other value, so that the label set stays bounded', () => {
    for (const code of [undefined, 1, -1, 0.5, 60007.5, 12345, 999_999_999, Number.MAX_SAFE_INTEGER, -0.1]) {
      expect(errorCodeLabel(code)).toBe('other')
    }
    // The meter's own answers are never read as Chat's.
    for (const { errorCode } of Object.values(METER_ANSWERS)) expect(errorCodeLabel(errorCode)).toBe('other')
  })

  it('puts each documented code in one group only', () => {
    const all = Object.values(REST_ERROR_CODES).flat()
    expect(new Set(all).size).toBe(all.length)
    for (const code of all) expect(Number.isInteger(code) && code > 0).toBe(true)
  })
})
