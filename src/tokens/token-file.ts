import { readRegularFile, readRegularFileSync, UnreadableFileError } from '../read-regular-file.js'
import { MAX_TOKEN_FILE_BYTES, parseTokenList } from './token-list.js'

export type TokenFileRead =
  | { ok: true; content: string; tokens: string[] }
  /** `content` is set when the file was read but holds no usable token. */
  | { ok: false; content: string | undefined; problem: string }

function parsed(path: string, content: string): TokenFileRead {
  const result = parseTokenList(content)
  return result.ok
    ? { ok: true, content, tokens: result.tokens }
    : { ok: false, content, problem: `${result.problem} in ${JSON.stringify(path)}` }
}

const unreadable = (error: unknown): TokenFileRead => {
  if (!(error instanceof UnreadableFileError)) throw error
  // Too large: most likely another file than the token file.
  const hint = error.tooLarge ? ': is it the token file?' : ''
  return { ok: false, content: undefined, problem: `${error.message}${hint}` }
}

/**
 * Reads and parses the token file at start-up: a regular file only (a FIFO or a device is refused at
 * once, never waited on), at most MAX_TOKEN_FILE_BYTES.
 */
export function readTokenFileSync(path: string): TokenFileRead {
  try {
    return parsed(path, readRegularFileSync(path, MAX_TOKEN_FILE_BYTES).toString('utf8'))
  } catch (error) {
    return unreadable(error)
  }
}

/** The same without blocking the event loop (the watcher's re-reads). */
export async function readTokenFile(path: string): Promise<TokenFileRead> {
  try {
    return parsed(path, (await readRegularFile(path, MAX_TOKEN_FILE_BYTES)).toString('utf8'))
  } catch (error) {
    return unreadable(error)
  }
}
