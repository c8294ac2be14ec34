import type { ReplaceableTokens } from '../auth/callback-tokens.js'
import type { Clock } from '../clock.js'
import { type FileWatcher, watchFile } from '../files/file-watcher.js'
import type { Logger } from '../logging/logger.js'
import type { TokenFileMetrics } from '../metrics/exporter-metrics.js'
import { tokenFileReadOf } from './token-file.js'
import { MAX_TOKEN_FILE_BYTES } from './token-list.js'

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

export type TokenFileWatcher = FileWatcher

const sameTokens = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((token) => b.includes(token))

/**
 * Keeps `tokens` in step with the token file (watched and polled by watchFile). A content that cannot
 * be used keeps the tokens in force (authentication never falls open), logs an error and counts a
 * failure, once per distinct content.
 */
export function watchTokenFile(options: TokenFileWatcherOptions): TokenFileWatcher {
  const { path, tokens, metrics, logger, clock } = options
  metrics.lastReloadSuccessful.set(1)
  metrics.lastReloadSuccessTimestamp.set(clock.now() / 1000)
  let first = true
  return watchFile({
    path,
    variable: 'CALLBACK_TOKEN_FILE',
    maxBytes: MAX_TOKEN_FILE_BYTES,
    logger,
    pollIntervalMs: options.pollIntervalMs,
    watch: options.watch,
    onChange(text) {
      const wasFirst = first
      first = false
      const read = tokenFileReadOf(path, text)
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
      if (wasFirst && unchanged) return
      tokens.replace(read.tokens)
      metrics.lastReloadSuccessful.set(1)
      metrics.lastReloadSuccessTimestamp.set(clock.now() / 1000)
      logger.info(
        { path, token_count: read.tokens.length, tokens_changed: !unchanged },
        'CALLBACK_TOKEN_FILE reloaded',
      )
    },
  })
}
