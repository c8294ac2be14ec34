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
