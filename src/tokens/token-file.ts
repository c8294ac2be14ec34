import { readTextFile, readTextFileSync, type TextFileRead } from '../files/regular-file.js'
import { MAX_TOKEN_FILE_BYTES, parseTokenList } from './token-list.js'

export type TokenFileRead =
  | { ok: true; content: string; tokens: string[] }
  /** `content` is set when the file was read but holds no usable token. */
  | { ok: false; content: string | undefined; problem: string }

/** The tokens of a read of the token file, or why it holds none that can be used. */
export function tokenFileReadOf(path: string, read: TextFileRead): TokenFileRead {
  if (!read.ok) {
    // Too large: most likely another file than the token file.
    const hint = read.tooLarge ? ': is it the token file?' : ''
    return { ok: false, content: undefined, problem: `${read.problem}${hint}` }
  }
  const { content } = read
  const result = parseTokenList(content)
  return result.ok
    ? { ok: true, content, tokens: result.tokens }
    : { ok: false, content, problem: `${result.problem} in ${JSON.stringify(path)}` }
}

/**
 * Reads and parses the token file at start-up: a regular file only (a FIFO or a device is refused at
 * once, never waited on), at most MAX_TOKEN_FILE_BYTES.
 */
export function readTokenFileSync(path: string): TokenFileRead {
  return tokenFileReadOf(path, readTextFileSync(path, MAX_TOKEN_FILE_BYTES))
}

/** The same without blocking the event loop (the watcher's re-reads). */
export async function readTokenFile(path: string): Promise<TokenFileRead> {
  return tokenFileReadOf(path, await readTextFile(path, MAX_TOKEN_FILE_BYTES))
}
