import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sanitizeLogLine } from '../../src/logging/logger.js'
import { escapeInvisible, quoteForMessage, redactSecrets } from '../../src/protocol/label-value.js'

const SIGN = '432cbbbf8a6d4d2e9f0c1b7a5e3d2c1b0a9f8e7d6c5b4a392817161514131211'

describe('redactSecrets', () => {
  it.each([
    // The outside probe's case: `;` between the parameters.
    [`1400000001;Sign=${SIGN}&CallbackCommand=X`, '1400000001;Sign=<redacted>'],
    [`1400000001;RequestTime=1700000000;Sign=${SIGN}`, '1400000001;RequestTime=<redacted>'],
    [`1400000001,sign:${SIGN}`, '1400000001,sign=<redacted>'],
    [`1400000001|SIGN%3D${SIGN}`, '1400000001|SIGN=<redacted>'],
    [`X/Sign/${SIGN}`, 'X/Sign=<redacted>'],
    [`1400000001Sign=${SIGN}`, '1400000001Sign=<redacted>'],
    // No name to cut at: the hex itself goes, in either case.
    [`1400000001;${SIGN}`, '1400000001;<redacted>'],
    [`1400000001;${SIGN.toUpperCase()}`, '1400000001;<redacted>'],
    [`x${SIGN.slice(0, 16)}`, 'x<redacted>'],
  ])('%s → %s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected)
  })

  it.each([
    'Alert.RequestOverLimit',
    'Chatbot.OnC2CSignalMessage',
    'design',
    '14000000011400000001',
    'deadbeef',
    'query parameter SdkAppid is missing',
    // 16 or more hex digits, but only digits and `e`: numbers, as docs/operations.md (Logs) says.
    '12345678901234567890',
    '1.7976931348623157e+308',
    '1234567890123456e7',
  ])('leaves %s alone', (input) => {
    expect(redactSecrets(input)).toBe(input)
  })
})

describe('quoteForMessage', () => {
  it('quotes as JSON, redacted, then cut to the length asked', () => {
    expect(quoteForMessage('a"b')).toBe('"a\\"b"')
    expect(quoteForMessage(`1400000001;Sign=${SIGN}`)).toBe('"1400000001;Sign=<redacted>"')
    expect(quoteForMessage('x'.repeat(100), 8)).toBe('"xxxxxxxx…"')
    expect(quoteForMessage(`${'x'.repeat(10)}Sign=${SIGN}`, 12)).toBe('"xxxxxxxxxxSi…"')
  })

  it('escapes line separators and bidirectional controls that JSON leaves raw', () => {
    expect(quoteForMessage('a\u2028b\u2029c\u202ed')).toBe('"a\\u2028b\\u2029c\\u202ed"')
  })

  it('names arrays and objects by kind, and shows other values as themselves', () => {
    expect(quoteForMessage([1])).toBe('an array')
    expect(quoteForMessage({ a: 1 })).toBe('an object')
    expect(quoteForMessage(null)).toBe('null')
    expect(quoteForMessage(12.5)).toBe('12.5')
  })
})

describe('escapeInvisible', () => {
  it('leaves ordinary text alone', () => {
    expect(escapeInvisible('héllo, 世界 ✓')).toBe('héllo, 世界 ✓')
  })
})

describe('sanitizeLogLine', () => {
  it('redacts a run of 16 hex digits with a letter other than e, and leaves numbers alone', () => {
    const line = `{"max":1.7976931348623157e+308,"id":"12345678901234567890","piece":"${SIGN.slice(20, 36)}"}\n`
    expect(sanitizeLogLine(line)).toBe(
      '{"max":1.7976931348623157e+308,"id":"12345678901234567890","piece":"<redacted>"}\n',
    )
  })

  it('keeps every line valid JSON with the same fields, U+2028/U+2029 escaped, hex runs redacted', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.string({ maxLength: 6 }),
          fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.double(), fc.constant(SIGN)),
        ),
        (fields) => {
          const line = sanitizeLogLine(`${JSON.stringify(fields)}\n`)
          expect(line.endsWith('\n')).toBe(true)
          expect(line.slice(0, -1)).not.toMatch(/[\n\u2028\u2029]/)
          const parsed = JSON.parse(line) as Record<string, unknown>
          expect(Object.keys(parsed).sort()).toEqual(Object.keys(fields).sort())
          expect(line).not.toContain(SIGN.slice(0, 8))
        },
      ),
      { seed: 20_261_130, numRuns: 500 },
    )
  })

  it('does not break a JSON escape followed by hex digits', () => {
    const line = JSON.stringify({ detail: '\u001fabcdef0123456789abcdef' })
    expect(JSON.parse(sanitizeLogLine(line))).toEqual({ detail: '\u001f<redacted>' })
  })
})
