import { createHash } from 'node:crypto'
import { type FSWatcher, watch } from 'node:fs'
import { dirname } from 'node:path'
import type { ReplaceableTokens } from '../auth/callback-tokens.js'
import type { Clock } from '../clock.js'
import type { Logger } from '../logging/logger.js'
import type { TokenFileMetrics } from '../metrics/exporter-metrics.js'
import { readTokenFile } from './token-file.js'

/**
 * How often the file is read whatever the watch says. Watches miss a Kubernetes Secret volume's
 * `..data` symlink swap on some filesystems (and don't work at all on others); this bounds the delay.
 */
export const TOKEN_FILE_POLL_INTERVAL_MS = 5_000
/** Editors and kubelet change a folder in several steps: read once they are done. */
const SETTLE_MS = 50

export interface TokenFileWatcherOptions {
  path: string
  tokens: ReplaceableTokens
  metrics: TokenFileMetrics
  logger: Logger
  clock: Clock
  pollIntervalMs?: number
  /** Watch the file's folder as well as polling (default true); tests turn it off to check the poll. */
  watch?: boolean
}

export interface TokenFileWatcher {
  /** Reads the file now and applies a change; resolves once done (a check in progress is awaited). */
  check(): Promise<void>
  close(): void
}

const fingerprintOf = (text: string) => createHash('sha256').update(text).digest('hex')

const sameTokens = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((token) => b.includes(token))

/**
 * Keeps `tokens` in step with the token file. The folder is watched, not the file: Kubernetes swaps a
 * symlink and editors rename a new file over the old, and a watch on the old file sees neither. A
 * content that cannot be used keeps the tokens in force (authentication never falls open), logs an
 * error and counts a failure, once per distinct content.
 */
export function watchTokenFile(options: TokenFileWatcherOptions): TokenFileWatcher {
  const { path, tokens, metrics, logger, clock } = options
  metrics.lastReloadSuccessful.set(1)
  metrics.lastReloadSuccessTimestamp.set(clock.now() / 1000)

  // What was read last (content or error), so that an unchanged file is neither logged nor counted again.
  let lastSeen: string | undefined
  let closed = false

  async function checkOnce(): Promise<void> {
    const read = await readTokenFile(path)
    if (closed) return
    const seen =
      read.content === undefined ? `error:${read.ok ? '' : read.problem}` : fingerprintOf(read.content)
    const first = lastSeen === undefined
    if (seen === lastSeen) return
    lastSeen = seen
    if (!read.ok) {
      metrics.lastReloadSuccessful.set(0)
      metrics.reloadFailures.inc()
      logger.error(
        { path, problem: read.problem, token_count: tokens.current.length },
        'CALLBACK_TOKEN_FILE changed but cannot be used: the tokens in force are kept',
      )
      return
    }
    const unchanged = sameTokens(read.tokens, tokens.current)
    // The start-up read already loaded this content: nothing to report.
    if (first && unchanged) return
    tokens.replace(read.tokens)
    metrics.lastReloadSuccessful.set(1)
    metrics.lastReloadSuccessTimestamp.set(clock.now() / 1000)
    logger.info(
      { path, token_count: read.tokens.length, tokens_changed: !unchanged },
      'CALLBACK_TOKEN_FILE reloaded',
    )
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
          logger.error({ path, error: (error as Error).message }, 'checking CALLBACK_TOKEN_FILE failed')
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
          'watching the token file folder stopped; polling goes on',
        )
      })
      watchFailed = false
    } catch (error) {
      if (!watchFailed) {
        logger.info(
          { path, error: (error as Error).message, poll_interval_seconds: pollIntervalMs / 1000 },
          'cannot watch the token file folder: checking it periodically only',
        )
      }
      watchFailed = true
    }
  }

  const pollIntervalMs = options.pollIntervalMs ?? TOKEN_FILE_POLL_INTERVAL_MS
  const poll = setInterval(() => {
    startWatching()
    void check()
  }, pollIntervalMs)
  poll.unref()
  startWatching()
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
