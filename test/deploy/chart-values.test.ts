import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import {
  CHART_DIR,
  CHART_README_PATH,
  CHART_VALUES_PATH,
  documentedValues,
  formatMarkdown,
  leafPaths,
  renderChartReadme,
  valuesTable,
} from '../../scripts/chart-values.js'
import { REPO_ROOT } from './kustomize.js'

const run = promisify(execFile)
const valuesYaml = readFileSync(join(REPO_ROOT, CHART_VALUES_PATH), 'utf8')
const values = parse(valuesYaml)
const documented = documentedValues(valuesYaml)
const schema = JSON.parse(readFileSync(join(REPO_ROOT, CHART_DIR, 'values.schema.json'), 'utf8'))

interface SchemaNode {
  type?: string
  properties?: Record<string, SchemaNode>
  additionalProperties?: unknown
}

/** Every value the schema names, by dotted path, down to the objects whose keys it leaves free. */
function schemaPaths(node: SchemaNode, prefix = ''): string[] {
  if (!node.properties) return [prefix]
  return Object.entries(node.properties).flatMap(([key, child]) =>
    schemaPaths(child, prefix ? `${prefix}.${key}` : key),
  )
}

describe('documentedValues', () => {
  test('reads `# --` comments, several lines long, for nested keys, and leaves other comments out', () => {
    const rows = documentedValues(
      [
        '# A file comment, not a value.',
        '',
        '# -- The first value,',
        '# over two lines.',
        'first: 1',
        'section:',
        '  # An ordinary comment.',
        '  # -- A nested value.',
        '  nested: [a]',
        '  # -- A map documented as a whole.',
        '  map:',
        '    inner: true',
        'undocumented: x',
      ].join('\n'),
    )
    expect(rows).toEqual([
      { key: 'first', type: 'int', default: '1', description: 'The first value, over two lines.' },
      { key: 'section.nested', type: 'list', default: '["a"]', description: 'A nested value.' },
      {
        key: 'section.map',
        type: 'object',
        default: '{"inner":true}',
        description: 'A map documented as a whole.',
      },
    ])
  })

  test('escapes a | in a cell, which would split the Markdown row', () => {
    expect(valuesTable([{ key: 'k', type: 'string', default: '"a|b"', description: 'x | y' }])).toContain(
      '`"a\\|b"` | x \\| y |',
    )
  })
})

describe('the chart values', () => {
  test('every value in values.yaml is documented with a `# --` comment (itself or the map holding it)', () => {
    const keys = documented.map((row) => row.key)
    const undocumented = leafPaths(values).filter(
      (leaf) => !keys.some((key) => leaf === key || leaf.startsWith(`${key}.`)),
    )
    expect(undocumented).toEqual([])
    // No documented value inside another: the table would list it twice.
    expect(keys.filter((key) => keys.some((other) => key.startsWith(`${other}.`)))).toEqual([])
  })

  test('values.schema.json describes exactly the documented values, and refuses any other key', () => {
    const keys = documented.map((row) => row.key)
    // `global` is what Helm hands a chart installed as a dependency.
    const described = schemaPaths(schema).filter((path) => path !== 'global')
    const covered = (path: string) => keys.some((key) => path === key || path.startsWith(`${key}.`))
    expect(described.filter((path) => !covered(path))).toEqual([])
    expect(
      keys.filter((key) => !described.some((path) => path === key || path.startsWith(`${key}.`))),
    ).toEqual([])
    // Every map of settings is closed, so that a misspelt key fails instead of being ignored.
    const closed = (node: SchemaNode, path: string): string[] =>
      node.properties
        ? [
            ...(node.additionalProperties === false ? [] : [path || '(top level)']),
            ...Object.entries(node.properties).flatMap(([key, child]) =>
              closed(child, path ? `${path}.${key}` : key),
            ),
          ]
        : []
    expect(closed(schema, '')).toEqual([])
  })

  test(`${CHART_README_PATH} lists every value with its default, as values.yaml has them now`, () => {
    // When this fails: npx tsx scripts/generate-chart-readme.ts, and commit the result.
    const readme = readFileSync(join(REPO_ROOT, CHART_README_PATH), 'utf8')
    expect(readme).toBe(formatMarkdown(renderChartReadme(readme, valuesYaml), REPO_ROOT))
    for (const row of documented) expect(readme).toContain(`\`${row.key}\``)
  })

  test('generate-chart-readme.ts --check agrees', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/generate-chart-readme.ts', '--check'],
      { cwd: REPO_ROOT, timeout: 30_000 },
    )
    expect(stdout).toContain('is up to date')
  })
})
