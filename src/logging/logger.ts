import { type DestinationStream, type Logger, pino } from 'pino'
import type { LogLevel } from '../config/config.js'

export type { Logger }

/** JSON logs on stdout, one object a line, with ISO times and the level as a word. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'tencent-chat-exporter' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    // Defence in depth: the token and the signature never reach a log line.
    redact: { paths: ['token', 'sign', 'Sign', 'query.Sign', 'config.callbackToken'], censor: '[redacted]' },
  }
  return destination ? pino(options, destination) : pino(options)
}
