import type { WebConfig } from './web-config-file.js'

/** What the web configuration turns on, for the start-up log line: names and counts, no secrets. */
export function describeWebConfig(webConfig: WebConfig, listener: 'callback' | 'metrics') {
  return {
    file: webConfig.path,
    listener,
    tls: webConfig.tls !== undefined,
    ...(webConfig.tls && {
      client_auth_type: webConfig.tls.clientAuth,
      min_version: webConfig.tls.minVersion,
    }),
    basic_auth_users: webConfig.users.size,
    headers: [...webConfig.headers.keys()],
    ...(webConfig.rateLimit && { rate_limit: webConfig.rateLimit }),
  }
}

/**
 * What to warn about at start-up. An empty file (or only `null`) is accepted as exporter-toolkit accepts
 * it, with everything open, but it is more likely a mistake (a Secret key mounted empty) than a choice.
 */
export function webConfigWarnings(webConfig: WebConfig): string[] {
  if (webConfig.empty) {
    return [
      'WEB_CONFIG_FILE is empty: no TLS and no basic auth; /metrics and the status page are served to anyone who reaches them',
    ]
  }
  return []
}
