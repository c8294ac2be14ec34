import { createHash } from 'node:crypto'
import { type FSWatcher, watch } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from '../logging/logger.js'
import { readTextFile, type TextFileRead } from './regular-file.js'

/**
 * How often a watched file is read whatever the watch says. Watches miss a Kubernetes volume's `..data`
 * symlink swap on some filesystems (and don't work at all on others); this bounds the delay.
 */
export const FILE_POLL_INTERVAL_MS = 5_000
/** Editors and kubelet change a folder in several steps: read once they are done. */
const SETTLE_MS = 50

export interface FileWatcherOptions {
  /** The file, and the environment variable that named it (for logs). */
  path: string
  variable: string
  maxBytes: number
  /**
   * The content read at start-up: the same content read again is not a change. Without it, the first
   * read (made at once) is reported whatever it holds.
   */
  initialContent?: string | undefined
  /** Told of each read whose outcome (content, or problem) differs from the previous one. */
  onChange: (read: TextFileRead) => void
  logger: Logger
  pollIntervalMs?: number
  /** Watch the file's folder as well as polling (default true); tests turn it off to check the poll. */
  watch?: boolean
}

export interface FileWatcher {
  /** Reads the file now and reports a change; resolves once done (a check in progress is awaited). */
  check(): Promise<void>
  close(): void
}

const fingerprintOf = (read: TextFileRead) =>
  read.ok ? createHash('sha256').update(read.content).digest('hex') : `problem:${read.problem}`

/**
 * Reads a configuration file again when it changes. The folder is watched, not the file: Kubernetes
 * swaps a symlink and editors rename a new file over the old, and a watch on the old file sees neither.
 * Reads never overlap, run off the event loop, and never wait on a FIFO (readTextFile).
 */
export function watchFile(options: FileWatcherOptions): FileWatcher {
  const { path, variable, logger } = options
  let lastSeen =
    options.initialContent === undefined
      ? undefined
      : fingerprintOf({ ok: true, content: options.initialContent })
  let closed = false

  async function checkOnce(): Promise<void> {
    const read = await readTextFile(path, options.maxBytes)
    if (closed) return
    const seen = fingerprintOf(read)
    if (seen === lastSeen) return
    lastSeen = seen
    options.onChange(read)
  }

  let running: Promise<void> | undefined
  let again = false
  function check(): Promise<void> {
    if (running) {
      again = true
      return running
    }
    running = (async () => {
      do {
        again = false
        await checkOnce().catch((error: unknown) => {
          logger.error({ path, error: (error as Error).message }, `checking ${variable} failed`)
        })
      } while (again && !closed)
    })().finally(() => {
      running = undefined
    })
    return running
  }

  let settle: NodeJS.Timeout | undefined
  const soon = () => {
    if (closed) return
    clearTimeout(settle)
    settle = setTimeout(() => void check(), SETTLE_MS)
    settle.unref()
  }

  const pollIntervalMs = options.pollIntervalMs ?? FILE_POLL_INTERVAL_MS
  let watcher: FSWatcher | undefined
  let watchFailed = false
  const startWatching = () => {
    if (options.watch === false || watcher !== undefined || closed) return
    try {
      watcher = watch(dirname(path), { persistent: false }, soon)
      watcher.on('error', (error) => {
        watcher?.close()
        watcher = undefined
        logger.debug(
          { path, error: error.message },
          `watching the folder of ${variable} stopped; polling goes on`,
        )
      })
      watchFailed = false
    } catch (error) {
      if (!watchFailed) {
        logger.info(
          { path, error: (error as Error).message, poll_interval_seconds: pollIntervalMs / 1000 },
          `cannot watch the folder of ${variable}: checking it periodically only`,
        )
      }
      watchFailed = true
    }
  }

  const poll = setInterval(() => {
    startWatching()
    void check()
  }, pollIntervalMs)
  poll.unref()
  startWatching()
  // A change between the start-up read and the watch's start is seen at once.
  void check()

  return {
    check,
    close() {
      closed = true
      clearInterval(poll)
      clearTimeout(settle)
      watcher?.close()
      watcher = undefined
    },
  }
}
