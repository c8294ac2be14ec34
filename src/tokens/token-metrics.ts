import { Counter, Gauge, type Registry } from 'prom-client'
import type { CallbackTokens } from '../auth/callback-tokens.js'

/**
 * The callback token metrics. `..._callback_tokens` exists always (0 means Sign checks are off); the
 * reload metrics, named after Prometheus's own `prometheus_config_last_reload_*`, exist only when the
 * tokens come from CALLBACK_TOKEN_FILE, since nothing is reloaded otherwise.
 */
export function createTokenMetrics(registry: Registry, tokens: CallbackTokens | undefined) {
  new Gauge({
    name: 'tencent_chat_exporter_callback_tokens',
    help: 'Callback tokens in force: a Sign matching any of them is accepted (0: Sign verification is off).',
    registers: [registry],
    collect() {
      this.set(tokens?.current.length ?? 0)
    },
  })
  if (tokens?.source !== 'CALLBACK_TOKEN_FILE') return undefined
  return {
    lastReloadSuccessful: new Gauge({
      name: 'tencent_chat_exporter_token_file_last_reload_successful',
      help: 'Whether the latest read of CALLBACK_TOKEN_FILE succeeded (1) or failed and the previous tokens stay in force (0).',
      registers: [registry],
    }),
    lastReloadSuccessTimestamp: new Gauge({
      name: 'tencent_chat_exporter_token_file_last_reload_success_timestamp_seconds',
      help: 'Unix time of the latest successful read of CALLBACK_TOKEN_FILE (start-up or a change).',
      registers: [registry],
    }),
    reloadFailures: new Counter({
      name: 'tencent_chat_exporter_token_file_reload_failures_total',
      help: 'Reads of a changed CALLBACK_TOKEN_FILE that failed (unreadable, empty, no valid token); the tokens in force were kept.',
      registers: [registry],
    }),
  }
}

export type TokenFileMetrics = NonNullable<ReturnType<typeof createTokenMetrics>>
