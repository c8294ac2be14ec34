import { closeSync, openSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'
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

const tooLarge = (path: string): TokenFileRead => ({
  ok: false,
  content: undefined,
  problem: `${JSON.stringify(path)} is larger than ${MAX_TOKEN_FILE_BYTES} bytes: is it the token file?`,
})

const unreadable = (path: string, error: unknown): TokenFileRead => ({
  ok: false,
  content: undefined,
  problem: `cannot read ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
})

/**
 * Reads and parses the token file at start-up. Reads at most one byte past the limit, so that a path
 * to a device or a huge file fails quickly instead of filling memory.
 */
export function readTokenFileSync(path: string): TokenFileRead {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const buffer = Buffer.alloc(MAX_TOKEN_FILE_BYTES + 1)
    let length = 0
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
    }
    if (length > MAX_TOKEN_FILE_BYTES) return tooLarge(path)
    return parsed(path, buffer.toString('utf8', 0, length))
  } catch (error) {
    return unreadable(path, error)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Reads and parses the token file without blocking the event loop (the watcher's re-reads). */
export async function readTokenFile(path: string): Promise<TokenFileRead> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(path, 'r')
    const buffer = Buffer.alloc(MAX_TOKEN_FILE_BYTES + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > MAX_TOKEN_FILE_BYTES) return tooLarge(path)
    return parsed(path, buffer.toString('utf8', 0, length))
  } catch (error) {
    return unreadable(path, error)
  } finally {
    await handle?.close()
  }
}
