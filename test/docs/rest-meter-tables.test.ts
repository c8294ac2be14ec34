import { describe, expect, it } from 'vitest'
import { DOCUMENTED_LIMITS, DOCUMENTED_LIMITS_READ_ON } from '../../src/rest-meter/documented-limits.js'
import { METER_ANSWERS } from '../../src/rest-meter/meter-answers.js'
import { REST_ERROR_CODES } from '../../src/rest-meter/rest-error-codes.js'
import { codeIn, readDoc, tablesWithColumns } from './markdown.js'

/** docs/rest-meter.md's tables say what the code ships: the limits, the error codes, the meter's answers. */
describe('docs/rest-meter.md', () => {
  const markdown = readDoc('docs/rest-meter.md')
  const onlyTable = (...columns: string[]) => {
    const found = tablesWithColumns(markdown, ...columns)
    expect(found, `one | ${columns.join(' | ')} | table`).toHaveLength(1)
    return found[0]?.rows ?? []
  }

  it('lists every documented limit with its figure and its source, and nothing else', () => {
    const rows = onlyTable('API', 'calls per second', 'source')
    const documented = rows.map(([api = '', limit = '', source = '']) => [
      codeIn(api),
      limit.trim(),
      /\]\((https:[^)]+)\)/.exec(source)?.[1],
    ])
    const shipped = [...DOCUMENTED_LIMITS].map(([api, { perSecond, source }]) => [
      api,
      String(perSecond),
      source,
    ])
    expect(documented).toEqual(shipped)
    expect(markdown).toContain(`read on ${DOCUMENTED_LIMITS_READ_ON}`)
  })

  it('lists every group of error codes with its codes, and nothing else', () => {
    const rows = onlyTable('group', 'codes', 'meaning')
    const documented = rows.map(([group = '', codes = '']) => [
      codeIn(group),
      codes.split(',').map((c) => c.trim()),
    ])
    const shipped = Object.entries(REST_ERROR_CODES).map(([group, codes]) => [group, codes.map(String)])
    expect(documented).toEqual(shipped)
  })

  it("lists every answer of the meter's own with its status and ErrorCode, and nothing else", () => {
    const rows = onlyTable('reason', 'status', '`ErrorCode`')
    const documented = rows.map(([reason = '', status = '', code = '']) => [
      codeIn(reason),
      status.trim(),
      code.trim(),
    ])
    const shipped = Object.entries(METER_ANSWERS).map(([reason, { status, errorCode }]) => [
      reason,
      String(status),
      String(errorCode),
    ])
    expect(documented).toEqual(shipped)
  })
})
