import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs'
import { open } from 'node:fs/promises'

/** A small file read whole, or why it could not be. */
export type SmallFileRead = { ok: true; content: string } | { ok: false; problem: string }

// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, for ever. A regular file
// ignores the flag; anything else is refused once open, before a byte is read.
const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK

const notRegular = (path: string): SmallFileRead => ({
  ok: false,
  problem: `${JSON.stringify(path)} is not a regular file`,
})
const tooLarge = (path: string, maxBytes: number): SmallFileRead => ({
  ok: false,
  problem: `${JSON.stringify(path)} is larger than ${maxBytes} bytes`,
})
const unreadable = (path: string, error: unknown): SmallFileRead => ({
  ok: false,
  problem: `cannot read ${JSON.stringify(path)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
})

/**
 * Reads a configuration file of at most `maxBytes` as UTF-8, at start-up. Only a regular file (or a
 * symlink to one, as in a Kubernetes volume) is read: a FIFO, a device or a folder is refused at once,
 * and at most one byte past the limit is read, so that a wrong path fails quickly.
 */
export function readSmallFileSync(path: string, maxBytes: number): SmallFileRead {
  let fd: number | undefined
  try {
    fd = openSync(path, FLAGS)
    if (!fstatSync(fd).isFile()) return notRegular(path)
    const buffer = Buffer.alloc(maxBytes + 1)
    let length = 0
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null)
      if (n === 0) break
      length += n
    }
    if (length > maxBytes) return tooLarge(path, maxBytes)
    return { ok: true, content: buffer.toString('utf8', 0, length) }
  } catch (error) {
    return unreadable(path, error)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** As readSmallFileSync, on libuv's thread pool: for the re-reads of a file that changed. */
export async function readSmallFile(path: string, maxBytes: number): Promise<SmallFileRead> {
  let handle: Awaited<ReturnType<typeof open>> | undefined
  try {
    handle = await open(path, FLAGS)
    if (!(await handle.stat()).isFile()) return notRegular(path)
    const buffer = Buffer.alloc(maxBytes + 1)
    let length = 0
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
    }
    if (length > maxBytes) return tooLarge(path, maxBytes)
    return { ok: true, content: buffer.toString('utf8', 0, length) }
  } catch (error) {
    return unreadable(path, error)
  } finally {
    await handle?.close()
  }
}
