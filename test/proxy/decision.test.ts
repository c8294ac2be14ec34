import { describe, expect, it } from 'vitest'
import { decisionOf, errorCodeLabel } from '../../src/proxy/decision.js'

describe('errorCodeLabel', () => {
  it.each([
    [0, '0'],
    [1, '1'],
    [2, '2'],
    [120_001, '120001'],
    [125_000, '125000'],
    [130_000, '130000'],
  ])('keeps the documented code %s', (code, label) => {
    expect(errorCodeLabel(code)).toBe(label)
  })

  it.each([3, -1, 120_000, 130_001, 99_999, 1.5, Number.NaN, '1', null, undefined, true, [0], {}])(
    'buckets %j as other',
    (code) => {
      expect(errorCodeLabel(code)).toBe('other')
    },
  )
})

describe('decisionOf', () => {
  it('reads ErrorCode from a JSON answer, with or without a byte-order mark', () => {
    expect(decisionOf(Buffer.from('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1}'))).toBe('1')
    expect(decisionOf(Buffer.from('\uFEFF{"ErrorCode":120005,"ErrorInfo":"muted"}'))).toBe('120005')
    expect(decisionOf(Buffer.from('{"ErrorCode":"0"}'))).toBe('other')
  })

  it('finds no decision in answers without ErrorCode', () => {
    expect(decisionOf(Buffer.from('{"ActionStatus":"OK"}'))).toBeUndefined()
    expect(decisionOf(Buffer.from('<html>ErrorCode</html>'))).toBeUndefined()
    expect(decisionOf(Buffer.from('["ErrorCode"]'))).toBeUndefined()
    expect(decisionOf(Buffer.from('"ErrorCode"'))).toBeUndefined()
    expect(decisionOf(Buffer.alloc(0))).toBeUndefined()
  })
})
