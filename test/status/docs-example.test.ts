import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningScenario, startStatusScenario } from '../../scripts/status-scenario.js'
import { shape } from './support/json-shape.js'

// The /api/v1/status example in docs/operations.md against a running exporter's answer: the same
// fields at every level, each of the same kind, so that the documentation cannot drift from the code.

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8')
const section = doc.slice(doc.indexOf('## Status page'))
const example = JSON.parse(/```json\n([\s\S]*?)\n```/.exec(section)?.[1] ?? 'null') as Record<string, unknown>

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
