import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'

/**
 * Opened without blocking: a FIFO opened for reading would wait for a writer for ever (at start-up, or
 * holding a thread of libuv's pool that the process then waits for when it exits).
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK

/** A file the exporter reads (token file, web configuration, certificates) that cannot be used. */
export class UnreadableFileError extends Error {
  override name = 'UnreadableFileError'
  /** What is wrong: `ENOENT`, `EACCES`, `not a regular file: a FIFO`, `larger than 65536 bytes`. */
  readonly problem: string
  /** Set when the file was larger than allowed. */
  readonly tooLarge: boolean

  constructor(path: string, problem: string, tooLarge = false) {
    super(
      tooLarge ? `${JSON.stringify(path)} is ${problem}` : `cannot read ${JSON.stringify(path)} (${problem})`,
    )
    this.problem = problem
    this.tooLarge = tooLarge
  }
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO'
  if (stats.isDirectory()) return 'a directory'
  if (stats.isCharacterDevice()) return 'a character device'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSocket()) return 'a socket'
  return 'not a file'
}

const notRegular = (path: string, stats: Stats) =>
  new UnreadableFileError(path, `not a regular file: ${kindOf(stats)}`)

const tooLarge = (path: string, maxBytes: number) =>
  new UnreadableFileError(path, `larger than ${maxBytes} bytes`, true)

const failed = (path: string, error: unknown) =>
  error instanceof UnreadableFileError
    ? error
    : new UnreadableFileError(path, (error as NodeJS.ErrnoException).code ?? (error as Error).message)

/**
 * Reads a regular file of at most `maxBytes` at start-up: opened without blocking, checked to be a
 * regular file (a FIFO, a device or a directory is refused at once), read to one byte past the limit.
 * Throws UnreadableFileError.
 */
export function readRegularFileSync(path: string, maxBytes: number): Buffer {
  let fd: number | undefined
  try {
    fd = openSync(path, OPEN_FLAGS)
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw notRegular(path, stats)
    const buffer = Buffer.alloc(maxBytes + 1)
    let length = 0
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
    }
    if (length > maxBytes) throw tooLarge(path, maxBytes)
    return buffer.subarray(0, length)
  } catch (error) {
    throw failed(path, error)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** The same off the event loop, for re-reads while the exporter runs. */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  let handle: FileHandle | undefined
  try {
    handle = await open(path, OPEN_FLAGS)
    const stats = await handle.stat()
    if (!stats.isFile()) throw notRegular(path, stats)
    const buffer = Buffer.alloc(maxBytes + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > maxBytes) throw tooLarge(path, maxBytes)
    return buffer.subarray(0, length)
  } catch (error) {
    throw failed(path, error)
  } finally {
    await handle?.close()
  }
}

/** A text file's content, or why it cannot be used (an UnreadableFileError's message). */
export type TextFileRead = { ok: true; content: string } | { ok: false; problem: string; tooLarge: boolean }

const asText = (buffer: Buffer): TextFileRead => ({ ok: true, content: buffer.toString('utf8') })

const asProblem = (error: unknown): TextFileRead => {
  if (!(error instanceof UnreadableFileError)) throw error
  return { ok: false, problem: error.message, tooLarge: error.tooLarge }
}

/** readRegularFileSync as UTF-8 text, with the reason as a value rather than a throw. */
export function readTextFileSync(path: string, maxBytes: number): TextFileRead {
  try {
    return asText(readRegularFileSync(path, maxBytes))
  } catch (error) {
    return asProblem(error)
  }
}

/** readRegularFile as UTF-8 text, with the reason as a value rather than a throw. */
export async function readTextFile(path: string, maxBytes: number): Promise<TextFileRead> {
  try {
    return asText(await readRegularFile(path, maxBytes))
  } catch (error) {
    return asProblem(error)
  }
}
