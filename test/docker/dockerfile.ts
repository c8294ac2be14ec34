/**
 * A small Dockerfile reader for tests: enough of the syntax (comments, `\` continuations, stages,
 * exec-form JSON arrays, KEY=value pairs) to check the project's Dockerfile and read its stages.
 */

export interface Instruction {
  keyword: string
  /** Everything after the keyword, continuations joined with single spaces. */
  args: string
  /** 1-based line where the instruction starts. */
  line: number
}

export interface Stage {
  /** The image after FROM, e.g. `node:24-slim`. */
  image: string
  /** The name after `AS`, if any. */
  name: string | undefined
  instructions: Instruction[]
}

export interface Dockerfile {
  /** Instructions before the first FROM (global ARGs). */
  preamble: Instruction[]
  stages: Stage[]
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = []
  let current: { text: string; line: number } | undefined
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim()
    // Comment lines (and parser directives) are dropped, even inside a continuation, as Docker does.
    if (trimmed.startsWith('#')) return
    if (current === undefined && trimmed === '') return
    const continues = trimmed.endsWith('\\')
    const part = continues ? trimmed.slice(0, -1).trim() : trimmed
    current = current
      ? { ...current, text: `${current.text} ${part}`.trim() }
      : { text: part, line: index + 1 }
    if (continues) return
    const match = /^(\S+)\s*(.*)$/s.exec(current.text)
    if (match)
      instructions.push({ keyword: (match[1] ?? '').toUpperCase(), args: match[2] ?? '', line: current.line })
    current = undefined
  })

  const dockerfile: Dockerfile = { preamble: [], stages: [] }
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith('--'))
      const hasName = words[1]?.toUpperCase() === 'AS'
      dockerfile.stages.push({
        image: words[0] ?? '',
        name: hasName ? words[2] : undefined,
        instructions: [],
      })
      continue
    }
    const stage = dockerfile.stages.at(-1)
    ;(stage ? stage.instructions : dockerfile.preamble).push(instruction)
  }
  return dockerfile
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword)
}

/** The JSON array of an exec-form CMD/ENTRYPOINT/RUN, or undefined for the shell form. */
export function execForm(args: string): string[] | undefined {
  if (!args.trimStart().startsWith('[')) return undefined
  const parsed: unknown = JSON.parse(args)
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new Error(`not an exec-form array of strings: ${args}`)
  }
  return parsed
}

/** Splits on white space outside double quotes, removing the quotes (enough for ENV and LABEL). */
function words(args: string): string[] {
  return [...args.matchAll(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g)].map((match) =>
    match[0].replace(/"((?:[^"\\]|\\.)*)"/g, '$1'),
  )
}

/** The pairs of an ENV, ARG or LABEL instruction: `K=v K2="v 2"` or the legacy `K v`. */
export function keyValues(args: string): Array<[string, string]> {
  const parts = words(args)
  if (parts.length > 0 && !parts[0]?.includes('=')) {
    const [key = '', ...rest] = args.trim().split(/\s+/)
    return [[key, rest.join(' ')]]
  }
  return parts.map((part) => {
    const equals = part.indexOf('=')
    return equals === -1 ? [part, ''] : [part.slice(0, equals), part.slice(equals + 1)]
  })
}

export interface Copy {
  from: string | undefined
  sources: string[]
  destination: string
}

/** Reads `COPY [--from=stage] [--chown=…] src… dest` (or its JSON-array form). */
export function parseCopy(args: string): Copy {
  const tokens = args.trim().split(/\s+/)
  const flags = tokens.filter((token) => token.startsWith('--'))
  const rest = tokens.filter((token) => !token.startsWith('--')).join(' ')
  const paths = execForm(rest) ?? rest.split(/\s+/)
  const destination = paths.at(-1)
  if (destination === undefined || paths.length < 2)
    throw new Error(`COPY needs a source and a destination: ${args}`)
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length)
  return { from, sources: paths.slice(0, -1), destination }
}

export interface Healthcheck {
  options: string[]
  command: string[] | undefined
}

/** Reads `HEALTHCHECK [--option=…] CMD […]`; `command` is undefined for `HEALTHCHECK NONE`. */
export function parseHealthcheck(args: string): Healthcheck {
  const match = /^((?:--\S+\s+)*)(CMD|NONE)\s*(.*)$/is.exec(args.trim())
  if (!match) throw new Error(`unreadable HEALTHCHECK: ${args}`)
  const options = (match[1] ?? '').trim().split(/\s+/).filter(Boolean)
  if ((match[2] ?? '').toUpperCase() === 'NONE') return { options, command: undefined }
  const command = execForm(match[3] ?? '')
  if (!command) throw new Error('HEALTHCHECK CMD must use the exec form')
  return { options, command }
}
