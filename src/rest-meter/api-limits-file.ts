import { createRequire } from 'node:module'
import { readTextFileSync } from '../files/regular-file.js'
import { isApiSegment } from './chat-api-path.js'

/** API_LIMITS_FILE is a short list; anything larger is not it. */
export const MAX_API_LIMITS_FILE_BYTES = 256 * 1024

export type ApiLimitsParse = { ok: true; limits: Map<string, number> } | { ok: false; problem: string }

/**
 * Parses API_LIMITS_FILE: a YAML mapping of `<servicename>/<command>` to the API's limit in calls per
 * second (a positive number: 100 a day is `0.00116`). An empty file sets no limits.
 *
 *   openim/sendmsg: 400
 *   group_open_http_svc/send_group_msg: 300
 */
export function parseApiLimits(content: string): ApiLimitsParse {
  let document: unknown
  try {
    // yaml is loaded only when the file is used (it costs memory in every sidecar otherwise).
    const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml')
    document = parse(content, { maxAliasCount: 100 })
  } catch (error) {
    return { ok: false, problem: `not valid YAML: ${firstLine((error as Error).message)}` }
  }
  if (document === null || document === undefined) return { ok: true, limits: new Map() }
  if (typeof document !== 'object' || Array.isArray(document)) {
    return { ok: false, problem: 'must be a mapping of <servicename>/<command> to calls per second' }
  }
  const limits = new Map<string, number>()
  for (const [key, value] of Object.entries(document)) {
    const parts = key.split('/')
    if (parts.length !== 2 || !parts.every(isApiSegment)) {
      return {
        ok: false,
        problem: `${JSON.stringify(key)} is not <servicename>/<command> (for example openim/sendmsg)`,
      }
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      return { ok: false, problem: `${key}: the limit must be a positive number of calls per second` }
    }
    limits.set(key, value)
  }
  return { ok: true, limits }
}

const firstLine = (text: string) => text.split('\n')[0] ?? text

/** Reads and parses API_LIMITS_FILE at start-up. */
export function readApiLimitsFileSync(path: string): ApiLimitsParse & { content?: string } {
  const read = readTextFileSync(path, MAX_API_LIMITS_FILE_BYTES)
  if (!read.ok) return { ok: false, problem: read.problem }
  return { ...parseApiLimits(read.content), content: read.content }
}
