import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..')
export const docsDir = join(repoRoot, 'docs')

/** README.md and every Markdown file in docs/, as absolute paths. */
export function documentationFiles(): string[] {
  const docs = readdirSync(docsDir)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(docsDir, name))
  return [join(repoRoot, 'README.md'), ...docs]
}

export function readDoc(relativePath: string): string {
  return readFileSync(join(repoRoot, relativePath), 'utf8')
}

/**
 * The lines that GitHub renders as Markdown text: fenced code blocks and HTML comments are blanked
 * (line numbers are kept), so that neither a `# comment` in a shell example nor a commented-out image
 * counts as a heading or a link.
 */
function proseLines(markdown: string): string[] {
  const withoutComments = markdown.replace(/<!--[\s\S]*?-->/g, (comment) => comment.replace(/[^\n]/g, ' '))
  let fence: string | undefined
  return withoutComments.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1]
    if (fence === undefined && marker !== undefined) {
      fence = marker
      return ''
    }
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined
      return ''
    }
    return line
  })
}

export interface Heading {
  level: number
  text: string
  anchor: string
}

/** A heading's text as GitHub shows it: inline code, emphasis and link targets removed. */
function headingText(raw: string): string {
  return raw
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/(\*\*|__|\*)(.+?)\1/g, '$2')
    .replace(/\s+#+\s*$/, '')
    .trim()
}

/**
 * GitHub's heading anchor: lower case, every character that is not a letter, digit, space, hyphen or
 * underscore dropped, spaces turned into hyphens; a repeated anchor gets `-1`, `-2`, ….
 */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-')
}

export function headings(markdown: string): Heading[] {
  const seen = new Map<string, number>()
  const result: Heading[] = []
  for (const line of proseLines(markdown)) {
    const match = /^(#{1,6})\s+(.+)$/.exec(line)
    if (!match) continue
    const text = headingText(match[2] as string)
    const base = slug(text)
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    result.push({ level: (match[1] as string).length, text, anchor: count === 0 ? base : `${base}-${count}` })
  }
  return result
}

export interface Link {
  line: number
  target: string
}

/** Inline links and images (`[text](target)`, `![alt](target)`) outside code. */
export function links(markdown: string): Link[] {
  const result: Link[] = []
  for (const [index, line] of proseLines(markdown).entries()) {
    const prose = line.replace(/`[^`]*`/g, (code) => ' '.repeat(code.length))
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      result.push({ line: index + 1, target: match[1] as string })
    }
  }
  return result
}

export interface Table {
  /** The text of the nearest heading above the table. */
  section: string
  header: string[]
  rows: string[][]
}

/** Splits a table row on the pipes that are neither escaped nor inside inline code. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '')
  const result: string[] = []
  let current = ''
  let inCode = false
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i] as string
    if (char === '\\' && inner[i + 1] === '|') {
      current += '|'
      i++
    } else if (char === '`') {
      inCode = !inCode
      current += char
    } else if (char === '|' && !inCode) {
      result.push(current.trim())
      current = ''
    } else {
      current += char
    }
  }
  result.push(current.trim())
  return result
}

export function tables(markdown: string): Table[] {
  const lines = proseLines(markdown)
  const result: Table[] = []
  let section = ''
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const heading = /^#{1,6}\s+(.+)$/.exec(line)
    if (heading) section = headingText(heading[1] as string)
    const delimiter = lines[i + 1]
    if (
      !line.trim().startsWith('|') ||
      delimiter === undefined ||
      !/^\s*\|?[\s:|-]*-[\s:|-]*$/.test(delimiter)
    ) {
      continue
    }
    const table: Table = { section, header: cells(line), rows: [] }
    for (i += 2; i < lines.length && (lines[i] as string).trim().startsWith('|'); i++) {
      table.rows.push(cells(lines[i] as string))
    }
    result.push(table)
  }
  return result
}

/** The tables whose header starts with the given column names (compared case-insensitively). */
export function tablesWithColumns(markdown: string, ...columns: string[]): Table[] {
  return tables(markdown).filter((table) =>
    columns.every((column, i) => table.header[i]?.toLowerCase() === column.toLowerCase()),
  )
}

/** The text inside a cell's backticks (`` `PORT` `` → `PORT`), or the cell itself when it has none. */
export function codeIn(cell: string): string {
  const match = /^`([^`]*)`$/.exec(cell.trim())
  return match ? (match[1] as string) : cell.trim()
}

/** Every inline-code value in a cell (`` `a`, `b` `` → a, b). */
export function codesIn(cell: string): string[] {
  return [...cell.matchAll(/`([^`]*)`/g)].map((match) => match[1] as string)
}
