import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { codeIn, documentationFiles, readDoc, repoRoot, tablesWithColumns } from './markdown.js'

/** The folders directly under `src/` and `test/`. */
function folders(): string[] {
  return ['src', 'test'].flatMap((top) =>
    readdirSync(join(repoRoot, top), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${top}/${entry.name}`),
  )
}

describe('docs/development.md, the layout table', () => {
  const table = tablesWithColumns(readDoc('docs/development.md'), 'folder', 'what it holds')
  const rows = (table[0]?.rows ?? []).map(([path = '']) => codeIn(path))

  it('is there', () => {
    expect(table, 'docs/development.md has a | folder | what it holds | table').toHaveLength(1)
    expect(rows.length).toBeGreaterThan(0)
  })

  it('has a row for every folder of src/ and test/', () => {
    const missing = folders().filter((folder) => !rows.includes(folder))
    expect(
      missing.map((folder) => `add a row: | \`${folder}\` | <what it holds> |`),
      'docs/development.md, Layout',
    ).toEqual([])
  })

  it('names only folders and files that exist', () => {
    const gone = rows.filter((path) => !existsSync(join(repoRoot, path)))
    expect(
      gone.map((path) => `remove the row of \`${path}\`: it does not exist`),
      'docs/development.md, Layout',
    ).toEqual([])
  })
})

// Folders of the repository that the docs name paths in.
const ROOTS = ['src', 'test', 'bench', 'scripts', 'deploy', 'charts', 'grafana', 'prometheus', 'alertmanager']
const REPOSITORY_PATH = new RegExp(`^(?:${ROOTS.join('|')})/[\\w./-]*$`)
const TEST_FILE = /^[\w.-]+\.(?:test|cases)\.ts$/

/** The files of a folder, recursively, relative to the repository. */
function filesUnder(folder: string): string[] {
  return readdirSync(join(repoRoot, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)))
}

/**
 * The paths of the repository a Markdown file names in inline code (`` `test/docs/links.test.ts` ``,
 * `` `src/metrics` ``) or, for test files, by their name alone; placeholders (`test/<folder>`) and globs
 * are left out. Fenced code is not read: it shows commands, which name other things.
 */
function namedPaths(markdown: string): Array<{ line: number; path: string }> {
  const found: Array<{ line: number; path: string }> = []
  let fenced = false
  for (const [index, line] of markdown.split('\n').entries()) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
    if (fenced) continue
    for (const match of line.matchAll(/`([^`]+)`/g)) {
      for (const word of (match[1] as string).split(/\s+/)) {
        const path = word.replace(/^[(]+|[),;:]+$/g, '')
        if (REPOSITORY_PATH.test(path) || TEST_FILE.test(path)) found.push({ line: index + 1, path })
      }
    }
  }
  return found
}

/** Whether a named path is in the tree: a file or folder, the TypeScript source of a built `.js`, or a test file's name. */
function exists(path: string, testFiles: readonly string[]): boolean {
  if (!path.includes('/')) return testFiles.some((file) => file.endsWith(`/${path}`))
  const inTree = (candidate: string) => existsSync(join(repoRoot, candidate))
  return inTree(path) || (path.endsWith('.js') && inTree(path.replace(/\.js$/, '.ts')))
}

describe('paths named in the docs', () => {
  const files = [
    ...documentationFiles(),
    join(repoRoot, 'BENCHMARKS.md'),
    ...readdirSync(join(repoRoot, 'charts')).map((chart) => join(repoRoot, 'charts', chart, 'README.md')),
  ].filter((file) => existsSync(file))
  const testFiles = filesUnder('test')

  it('reads the docs that name test files', () => {
    const named = files.flatMap((file) => namedPaths(readFileSync(file, 'utf8')).map((entry) => entry.path))
    expect(named).toEqual(expect.arrayContaining(['test/docs/rejection-table.test.ts']))
  })

  it.each(files.map((file) => [relative(repoRoot, file), file]))('every path %s names exists', (_, file) => {
    const missing = namedPaths(readFileSync(file, 'utf8'))
      .filter(({ path }) => !exists(path, testFiles))
      .map(({ line, path }) => `line ${line}: ${path} does not exist`)
    expect(missing).toEqual([])
  })
})
