import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MINIMUM_NODE_VERSION, nodeVersionProblem } from '../../src/node-version.js'

describe('nodeVersionProblem', () => {
  it.each(['20.19.0', '20.19.1', '20.20.2', '21.0.0', '22.12.0', '24.1.0', 'v24.1.0', '25.0.0-nightly2026'])(
    'accepts %s',
    (version) => {
      expect(nodeVersionProblem(version)).toBeUndefined()
    },
  )

  it.each(['20.18.1', '20.0.0', '18.20.4', '16.20.2', 'v20.18.3', '20', '0.12.18'])(
    'refuses %s',
    (version) => {
      expect(nodeVersionProblem(version)).toBe(
        `needs Node.js 20.19.0 or later, this is Node.js ${version}: upgrade Node.js, or run the container image`,
      )
    },
  )

  it('compares each part as a number, not as text', () => {
    expect(nodeVersionProblem('20.9.0', '20.19.0')).toBeDefined()
    expect(nodeVersionProblem('100.0.0', '20.19.0')).toBeUndefined()
  })

  it("is the version package.json's engines names", () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string }
    }
    expect(pkg.engines.node).toBe('>=20.19')
    expect(MINIMUM_NODE_VERSION).toBe('20.19.0')
  })
})
