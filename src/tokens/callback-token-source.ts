import { createCallbackTokens, type ReplaceableTokens } from '../auth/callback-tokens.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config/config.js'
import type { Logger } from '../logging/logger.js'
import type { TokenFileMetrics } from '../metrics/exporter-metrics.js'
import { watchTokenFile } from './token-file-watcher.js'

/**
 * The callback tokens from the configuration: CALLBACK_TOKEN is one fixed token; CALLBACK_TOKEN_FILE
 * holds one or more, loaded at start-up by the configuration and re-read when the file changes
 * (watchCallbackTokens). `undefined` when neither is set: Sign checks are off.
 */
export function callbackTokensOf(
  config: Pick<Config, 'callbackToken' | 'callbackTokenFile'>,
): ReplaceableTokens | undefined {
  if (config.callbackTokenFile !== undefined) {
    return createCallbackTokens('CALLBACK_TOKEN_FILE', config.callbackTokenFile.tokens)
  }
  return config.callbackToken === undefined
    ? undefined
    : createCallbackTokens('CALLBACK_TOKEN', [config.callbackToken])
}

/**
 * Re-reads CALLBACK_TOKEN_FILE into `tokens` when it changes; returns the function that stops watching.
 * Nothing to watch for CALLBACK_TOKEN or without tokens.
 */
export function watchCallbackTokens(deps: {
  config: Pick<Config, 'callbackTokenFile'>
  tokens: ReplaceableTokens | undefined
  metrics: TokenFileMetrics | undefined
  logger: Logger
  clock: Clock
}): () => void {
  const { config, tokens, metrics } = deps
  if (config.callbackTokenFile === undefined || tokens === undefined || metrics === undefined) return () => {}
  const watcher = watchTokenFile({
    path: config.callbackTokenFile.path,
    tokens,
    metrics,
    logger: deps.logger,
    clock: deps.clock,
  })
  return watcher.close
}
