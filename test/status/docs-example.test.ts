import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningScenario, startStatusScenario } from '../../scripts/status-scenario.js'

// The /api/v1/status example in docs/operations.md against a running exporter's answer: the same
// fields at every level, each of the same kind, so that the documentation cannot drift from the code.

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8')
const section = doc.slice(doc.indexOf('## Status page'))
const example = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(section)?.[1] ?? 'null') as Record<string, unknown>

/** The kinds of the fields of `value`, recursively: arrays by the kinds of their elements. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) {
    const kinds = value.map(shape)
    // Elements may differ in which fields are null; a field is "number|null" if either kind occurs.
    return kinds.reduce((merged, kind) => merge(merged, kind), kinds[0])
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, shape(field)]))
  }
  return value === null ? 'null' : typeof value
}

function merge(a: unknown, b: unknown): unknown {
  if (typeof a === 'string' && typeof b === 'string') {
    return [...new Set([...a.split('|'), ...b.split('|')])].sort().join('|')
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    return Object.fromEntries(
      keys.map((key) => [
        key,
        merge((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
      ]),
    )
  }
  return a ?? b
}

describe('the /api/v1/status example in docs/operations.md', () => {
  let scenario: RunningScenario
  beforeAll(async () => {
    scenario = await startStatusScenario()
  })
  afterAll(() => scenario?.close())

  it('has the fields of a real answer, each of the same kind', async () => {
    const real = (await (await fetch(`${scenario.url}/api/v1/status`)).json()) as Record<string, unknown>
    expect(example).not.toBeNull()
    // The real answer has an expired API, rejections and reasons that never happened, like the example.
    expect(shape(example)).toEqual(shape(real))
  })
})
