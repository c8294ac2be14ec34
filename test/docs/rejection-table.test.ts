import { describe, expect, it } from 'vitest'
import { CallbackRejection, REJECTION_REASONS, type RejectionReason } from '../../src/protocol/rejection.js'
import { codeIn, readDoc, tablesWithColumns } from './markdown.js'

interface Row {
  status: string
  errorCode: string
}

describe('docs/callbacks.md', () => {
  it('the rejection table lists every reason of REJECTION_REASONS with its status and ErrorCode, and nothing else', () => {
    const [table, ...others] = tablesWithColumns(
      readDoc('docs/callbacks.md'),
      'reason',
      'status',
      'ErrorCode',
    )
    expect(table, 'docs/callbacks.md has one | reason | status | ErrorCode | when | table').toBeDefined()
    expect(others).toEqual([])
    const documented = new Map<string, Row>(
      (table?.rows ?? []).map(([reason = '', status = '', errorCode = '']) => [
        codeIn(reason),
        { status: codeIn(status), errorCode: codeIn(errorCode) },
      ]),
    )
    const code = new Map<string, Row>(
      (Object.entries(REJECTION_REASONS) as Array<[RejectionReason, number]>).map(([reason, status]) => [
        reason,
        { status: String(status), errorCode: String(new CallbackRejection(reason, '').errorCode) },
      ]),
    )

    const differences: string[] = []
    for (const [reason, { status, errorCode }] of code) {
      const row = documented.get(reason)
      if (row === undefined)
        differences.push(`add a row: | \`${reason}\` | ${status} | ${errorCode} | <when> |`)
      else if (row.status !== status || row.errorCode !== errorCode) {
        differences.push(
          `\`${reason}\`: the code answers ${status} with ErrorCode ${errorCode}, the table says ${row.status} and ${row.errorCode}`,
        )
      }
    }
    for (const reason of documented.keys()) {
      if (!code.has(reason))
        differences.push(`remove the row of \`${reason}\`: it is not in REJECTION_REASONS`)
    }
    expect(differences, 'docs/callbacks.md, table "Rejections"').toEqual([])
  })
})
