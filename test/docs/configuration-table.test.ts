import { relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, environmentVariables, loadConfig } from '../../src/config/config.js'
import { codeIn, documentationFiles, readDoc, repoRoot, tablesWithColumns } from './markdown.js'

const UNSET = 'unset'

/** `unset`, or the default in backticks, as the table writes it. */
function shownDefault(value: string | undefined): string {
  return value === undefined ? UNSET : `\`${value}\``
}

/** Variable → default as documented, from every `| variable | default | … |` table of a file. */
function documentedVariables(markdown: string): Map<string, string | undefined> {
  const documented = new Map<string, string | undefined>()
  for (const table of tablesWithColumns(markdown, 'variable', 'default')) {
    for (const [variable = '', fallback = ''] of table.rows) {
      const value = codeIn(fallback)
      documented.set(codeIn(variable), value === UNSET ? undefined : value)
    }
  }
  return documented
}

/** What to change in a table so that it says what the code does; empty when nothing differs. */
function differences(
  documented: ReadonlyMap<string, string | undefined>,
  code: ReadonlyMap<string, string | undefined>,
  { complete }: { complete: boolean },
): string[] {
  const found: string[] = []
  if (complete) {
    for (const [name, fallback] of code) {
      if (!documented.has(name))
        found.push(`add a row: | \`${name}\` | ${shownDefault(fallback)} | <meaning> |`)
    }
  }
  for (const [name, fallback] of documented) {
    if (!code.has(name)) found.push(`remove the row of \`${name}\`: src/config/config.ts does not read it`)
    else if (code.get(name) !== fallback) {
      found.push(
        `\`${name}\`: the default is ${shownDefault(code.get(name))}, the table says ${shownDefault(fallback)}`,
      )
    }
  }
  return found
}

describe('docs/configuration.md', () => {
  const code = environmentVariables()

  it('lists every variable of the configuration schema with its default, and nothing else', () => {
    const documented = documentedVariables(readDoc('docs/configuration.md'))
    expect(
      documented.size,
      'docs/configuration.md has a | variable | default | meaning | table',
    ).toBeGreaterThan(0)
    expect(
      differences(documented, code, { complete: true }),
      'docs/configuration.md, table "Variables"',
    ).toEqual([])
  })

  it('every other variable table in README.md and docs/ agrees with the schema', () => {
    for (const file of documentationFiles()) {
      const name = relative(repoRoot, file)
      if (name === 'docs/configuration.md') continue
      const documented = documentedVariables(readDoc(name))
      expect(differences(documented, code, { complete: false }), name).toEqual([])
    }
  })

  it("names the exporter's own paths that CALLBACK_PATH must not be, as the configuration refuses them", () => {
    const validation = /^## Validation\n([\s\S]*?)^## /m.exec(readDoc('docs/configuration.md'))?.[1] ?? ''
    const sentence = /exporter's own paths \(([^)]*)\)/.exec(validation.replace(/\n/g, ' '))?.[1]
    expect(
      sentence,
      'docs/configuration.md, Validation: "… the exporter\'s own paths (`/`, …)"',
    ).toBeDefined()
    const documented = [...(sentence as string).matchAll(/`([^`]+)`/g)].map((match) => match[1] as string)
    // The configuration's message lists the paths it refuses; each documented one must be refused.
    let refused: string[] = []
    try {
      loadConfig({ CALLBACK_PATH: '/' })
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      refused = /own paths \(([^)]*)\)/.exec((error as Error).message)?.[1]?.split(', ') ?? []
    }
    expect(refused.length).toBeGreaterThan(0)
    expect(documented).toEqual(refused)
    for (const path of documented)
      expect(() => loadConfig({ CALLBACK_PATH: path }), path).toThrow(ConfigError)
  })

  it('the schema lists every variable that loadConfig reads', () => {
    // Whatever loadConfig looks up in the environment, inside the schema or beside it, must be listed.
    const read = new Set<string>()
    const env = new Proxy({} as Record<string, string | undefined>, {
      get(target, key) {
        if (typeof key === 'string' && /^[A-Z][A-Z0-9_]*$/.test(key)) read.add(key)
        return Reflect.get(target, key)
      },
    })
    loadConfig(env)
    expect(read.size).toBeGreaterThan(0)
    expect([...read].filter((name) => !code.has(name))).toEqual([])
  })
})
