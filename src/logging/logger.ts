import { type DestinationStream, type Logger, pino } from 'pino'
import type { LogLevel } from '../config/config.js'
import { escapeInvisible, redactHexRuns } from '../protocol/label-value.js'

export type { Logger }

/**
 * The last step before a line is written. Values quoted from requests are already cut at any Sign
 * (quoteForMessage); this catches what reached a line another way. U+2028 and U+2029 are valid in JSON
 * but split the line in line-based log tools, so they are escaped like the other invisible characters.
 */
export function sanitizeLogLine(line: string): string {
  return escapeInvisible(redactHexRuns(line))
}

/** JSON logs on stdout, one object a line, with ISO times and the level as a word. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'tencent-chat-exporter' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    // Defence in depth: the token and the signature never reach a log line.
    redact: { paths: ['token', 'sign', 'Sign', 'query.Sign', 'config.callbackToken'], censor: '[redacted]' },
    hooks: { streamWrite: sanitizeLogLine },
  }
  return destination ? pino(options, destination) : pino(options)
}
