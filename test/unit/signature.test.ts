import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { computeSign, signMatches, signMatchesExpected } from '../../src/auth/signature.js'

// The worked example from Tencent Chat's "Webhook Overview" / "回调配置" pages.
const TOKEN = 'xxxxyyyy'
const REQUEST_TIME = '1669872112'
const SIGN = '17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061'

describe('computeSign', () => {
  it("reproduces the docs' test vector: sha256(Token + RequestTime) in lower-case hex", () => {
    expect(computeSign(TOKEN, REQUEST_TIME)).toBe(SIGN)
    expect(computeSign(TOKEN, Number(REQUEST_TIME))).toBe(SIGN)
  })

  it('is a plain hash, not an HMAC keyed with the token', () => {
    expect(computeSign('xxxyyy', REQUEST_TIME)).not.toBe(SIGN)
    expect(computeSign(TOKEN, '1669872113')).not.toBe(SIGN)
  })
})

describe('signMatches', () => {
  it('accepts the right signature in either case', () => {
    expect(signMatches(TOKEN, REQUEST_TIME, SIGN)).toBe(true)
    expect(signMatches(TOKEN, REQUEST_TIME, SIGN.toUpperCase())).toBe(true)
  })

  it.each([
    ['one digit changed', `${SIGN.slice(0, -1)}0`],
    ['too short', SIGN.slice(0, 63)],
    ['too long', `${SIGN}0`],
    ['not hex', `${SIGN.slice(0, -1)}g`],
    ['empty', ''],
    ['another token', computeSign('other', REQUEST_TIME)],
  ])('rejects a signature that is %s', (_, sign) => {
    expect(signMatches(TOKEN, REQUEST_TIME, sign)).toBe(false)
  })
})

describe('signMatchesExpected', () => {
  const OTHER = computeSign('other', REQUEST_TIME)

  it('matches any of the expected Signs, in upper, lower or mixed case', () => {
    const mixed = [...SIGN].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('')
    for (const sign of [SIGN, SIGN.toUpperCase(), mixed]) {
      expect(signMatchesExpected([SIGN], sign)).toBe(true)
      expect(signMatchesExpected([OTHER, SIGN], sign)).toBe(true)
      expect(signMatchesExpected([SIGN, OTHER], sign)).toBe(true)
    }
  })

  it('matches nothing when nothing is expected', () => {
    expect(signMatchesExpected([], SIGN)).toBe(false)
  })

  it.each([
    ['the first digit changed', `${SIGN[0] === '0' ? '1' : '0'}${SIGN.slice(1)}`],
    ['the last digit changed', `${SIGN.slice(0, -1)}${SIGN.endsWith('0') ? '1' : '0'}`],
    ['too short', SIGN.slice(0, 63)],
    ['too long', `${SIGN}0`],
    ['not hex', `${SIGN.slice(0, -1)}g`],
    // Control characters 0x10-0x19, which bit 0x20 would turn into the digits 0-9 were they let through.
    [
      'with control characters for digits',
      SIGN.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0x20)),
    ],
    ['empty', ''],
  ])('rejects a Sign %s', (_, sign) => {
    expect(signMatchesExpected([OTHER, SIGN], sign)).toBe(false)
  })

  it('rejects an expected Sign that is not 64 digits (never matches a truncated expectation)', () => {
    expect(signMatchesExpected([SIGN.slice(0, 63)], SIGN)).toBe(false)
  })

  it('agrees with a plain check (64 hex digits, equal once lower-cased) on Signs near the expected one', () => {
    // The expected Sign, in either case, with up to three characters replaced by one that is or is not
    // a hex digit, including those that setting bit 0x20 would turn into one.
    const odd = [
      'g',
      'G',
      '@',
      '`',
      '/',
      ':',
      'z',
      ' ',
      '\x10',
      '\x19',
      'é',
      'Ａ',
      '0',
      '9',
      'a',
      'f',
      'A',
      'F',
    ]
    const near = fc
      .tuple(fc.boolean(), fc.array(fc.tuple(fc.nat(63), fc.constantFrom(...odd)), { maxLength: 3 }))
      .map(([upper, changes]) => {
        const chars = [...(upper ? SIGN.toUpperCase() : SIGN)]
        for (const [at, c] of changes) chars[at] = c
        return chars.join('')
      })
    fc.assert(
      fc.property(near, (sign) => {
        const plain = /^[0-9a-fA-F]{64}$/.test(sign) && sign.toLowerCase() === SIGN
        expect(signMatchesExpected([OTHER, SIGN], sign)).toBe(plain)
      }),
      { numRuns: 20_000 },
    )
  })
})
