import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type AnswerFields, AnswerScanner } from '../../../src/rest-meter/answer-scanner.js'

/** Scans `bytes` in pieces cut at `cuts` (any byte offsets, inside a UTF-8 character too). */
function scan(bytes: Buffer, cuts: number[] = []): AnswerScanner {
  const scanner = new AnswerScanner()
  let from = 0
  for (const cut of [...new Set(cuts.map((at) => at % (bytes.length + 1)))].sort((a, b) => a - b)) {
    scanner.push(bytes.subarray(from, cut))
    from = cut
  }
  scanner.push(bytes.subarray(from))
  return scanner
}

const fieldsOf = (text: string, cuts?: number[]) => scan(Buffer.from(text), cuts).fields

/**
 * What the scanner must find, from JSON.parse: the top-level ActionStatus when it is a string (one whose
 * JSON text is at most 64 bytes: longer ones are no ActionStatus Chat writes and are not kept) and the
 * top-level ErrorCode when it is a number; nothing for anything but an object.
 */
function expectedFields(text: string): AnswerFields {
  const parsed = JSON.parse(text) as unknown
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { actionStatus: undefined, errorCode: undefined }
  }
  const { ActionStatus, ErrorCode } = parsed as Record<string, unknown>
  return {
    actionStatus:
      typeof ActionStatus === 'string' && Buffer.byteLength(JSON.stringify(ActionStatus)) - 2 <= 64
        ? ActionStatus
        : undefined,
    errorCode: typeof ErrorCode === 'number' ? ErrorCode : undefined,
  }
}

/**
 * Characters of strings, keys and values: any character, and often one that matters to a scan (quotes,
 * backslashes, brackets, separators, white space, the names sought, multi-byte characters).
 */
const unit = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '"',
      '\\',
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      ' ',
      '\n',
      '/',
      '\u0000',
      '\u2028',
      'é',
      '你',
      '😀',
      'ActionStatus',
      'ErrorCode',
    ),
  },
)
const anyText = fc.string({ unit, maxLength: 40 })
const value = fc.jsonValue({ maxDepth: 3, stringUnit: unit })
/** Top-level members other than the two fields, with keys that are not theirs (no duplicate keys). */
const members = fc.dictionary(
  anyText.filter((key) => key !== 'ActionStatus' && key !== 'ErrorCode'),
  value,
  { maxKeys: 8 },
)
const actionStatus = fc.oneof(
  fc.constantFrom('OK', 'FAIL', ''),
  anyText,
  fc.string({ unit, minLength: 60, maxLength: 80 }),
  value,
)
const errorCode = fc.oneof(
  fc.constantFrom(0, 60007, 70001, -1),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  value,
)
/** A Chat-like answer: the members, with each field absent or at any position. */
const answerObject = fc
  .tuple(members, fc.option(actionStatus), fc.option(errorCode), fc.nat(), fc.nat())
  .map(([rest, status, code, statusAt, codeAt]) => {
    const entries = Object.entries(rest)
    if (status !== null) entries.splice(statusAt % (entries.length + 1), 0, ['ActionStatus', status])
    if (code !== null) entries.splice(codeAt % (entries.length + 1), 0, ['ErrorCode', code])
    return Object.fromEntries(entries)
  })
const layout = fc.constantFrom<undefined | number | string>(undefined, 2, '\t')

describe('AnswerScanner', () => {
  it('finds what JSON.parse finds in any JSON answer, however it is cut into pieces', () => {
    fc.assert(
      fc.property(answerObject, layout, fc.array(fc.nat(), { maxLength: 12 }), (answer, indent, cuts) => {
        const text = JSON.stringify(answer, null, indent)
        expect(fieldsOf(text, cuts)).toEqual(expectedFields(text))
      }),
      { numRuns: 2000 },
    )
  })

  it('finds nothing in JSON that is not an object', () => {
    fc.assert(
      fc.property(
        value.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
        (v) => {
          const scanner = scan(Buffer.from(JSON.stringify(v)))
          expect(scanner.fields).toEqual({ actionStatus: undefined, errorCode: undefined })
        },
      ),
    )
  })

  it("reads Chat's usual answer and stops once both fields are found", () => {
    const scanner = new AnswerScanner()
    scanner.push(Buffer.from('{"ActionStatus":"FAIL","ErrorInfo":"over the limit","ErrorCode":60007,'))
    expect(scanner.done).toBe(true)
    expect(scanner.fields).toEqual({ actionStatus: 'FAIL', errorCode: 60007 })
    // What follows is not read: not even bytes that are not JSON.
    scanner.push(Buffer.from('"MsgList":[ this is never looked at'))
    expect(scanner.fields).toEqual({ actionStatus: 'FAIL', errorCode: 60007 })
  })

  it('finds the fields after a large nested value whose strings hold brackets, quotes and the names', () => {
    const text = JSON.stringify({
      MsgList: Array.from({ length: 2000 }, (_, i) => ({ Text: `"ErrorCode":${i} }]{[ \\" ActionStatus` })),
      ActionStatus: 'OK',
      ErrorCode: 0,
    })
    expect(fieldsOf(text)).toEqual({ actionStatus: 'OK', errorCode: 0 })
  })

  it('reads escaped names and values, a byte order mark and white space', () => {
    expect(fieldsOf('\uFEFF \n{ "\\u0041ctionStatus" : "O\\u004B" ,\t"ErrorCode"\r\n: 0 }')).toEqual({
      actionStatus: 'OK',
      errorCode: 0,
    })
  })

  it('keeps what it found before an answer that stops or turns into something else', () => {
    expect(fieldsOf('{"ActionStatus":"OK","ErrorCo')).toEqual({ actionStatus: 'OK', errorCode: undefined })
    expect(fieldsOf('{"ErrorCode":70001 garbage "ActionStatus":"OK"}')).toEqual({
      actionStatus: undefined,
      errorCode: 70001,
    })
    expect(fieldsOf('<html>502 Bad Gateway</html>')).toEqual({
      actionStatus: undefined,
      errorCode: undefined,
    })
    expect(fieldsOf('')).toEqual({ actionStatus: undefined, errorCode: undefined })
  })

  it('takes no ErrorCode that is not a JSON number', () => {
    for (const code of ['"0"', '0x10', '01', '-', '1.', '.5', '1e', 'null', 'true']) {
      expect(fieldsOf(`{"ErrorCode":${code},"ActionStatus":"OK"}`).errorCode, code).toBeUndefined()
    }
  })
})
