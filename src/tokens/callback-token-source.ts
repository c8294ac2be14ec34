import type { Registry } from 'prom-client'
import { type CallbackTokens, createCallbackTokens } from '../auth/callback-tokens.js'
import type { Clock } from '../clock.js'
import type { Config } from '../config/config.js'
import type { Logger } from '../logging/logger.js'
import { watchTokenFile } from './token-file-watcher.js'
import { createTokenMetrics } from './token-metrics.js'

export interface CallbackTokenSource {
  /** `undefined` when neither CALLBACK_TOKEN nor CALLBACK_TOKEN_FILE is set (Sign checks off). */
  tokens: CallbackTokens | undefined
  /** Stops watching the token file. */
  close(): void
}

/**
 * The callback tokens from the configuration: CALLBACK_TOKEN is one fixed token; CALLBACK_TOKEN_FILE
 * holds one or more, loaded at start-up by the configuration and re-read here when the file changes.
 */
export function startCallbackTokens(deps: {
  config: Pick<Config, 'callbackToken' | 'callbackTokenFile'>
  registry: Registry
  logger: Logger
  clock: Clock
}): CallbackTokenSource {
  const { config } = deps
  if (config.callbackTokenFile !== undefined) {
    const tokens = createCallbackTokens('CALLBACK_TOKEN_FILE', config.callbackTokenFile.tokens)
    const metrics = createTokenMetrics(deps.registry, tokens)
    if (metrics === undefined) throw new Error('token file metrics missing')
    const watcher = watchTokenFile({
      path: config.callbackTokenFile.path,
      tokens,
      metrics,
      logger: deps.logger,
      clock: deps.clock,
    })
    return { tokens, close: watcher.close }
  }
  const tokens =
    config.callbackToken === undefined
      ? undefined
      : createCallbackTokens('CALLBACK_TOKEN', [config.callbackToken])
  createTokenMetrics(deps.registry, tokens)
  return { tokens, close: () => {} }
}
