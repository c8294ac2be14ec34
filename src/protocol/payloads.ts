import { ALERT_REQUEST_OVER_LIMIT, GROUP_DAILY_QUOTA_ALARM } from './commands.js'
import { isValidLabelValue, quoteForMessage } from './label-value.js'
import { CallbackRejection } from './rejection.js'

/** `Alert.RequestOverLimit`: an API passed 80% of its QPS limit. */
export interface RequestOverLimitAlert {
  serviceName: string
  command: string
  /** The API's QPS. */
  request: number
  /** The API's QPS limit. */
  limit: number
}

/** `Group.CallbackOnDailyGroupQuotaAlarm`: the daily net increase of groups passed 70% of the quota. */
export interface GroupQuotaAlarm {
  quotaUsed: number
  quota: number
  /** Milliseconds, when Chat sent it. */
  eventTimeMs: number | undefined
}

export type CallbackPayload =
  | { kind: 'request_over_limit'; alert: RequestOverLimitAlert }
  | { kind: 'group_quota'; alarm: GroupQuotaAlarm }
  | { kind: 'other' }

const OTHER: CallbackPayload = Object.freeze({ kind: 'other' })

// Validated by hand rather than with zod schemas, which cost 11 to 16 µs more CPU per alert in the running
// exporter, 14 to 18% of a callback (BENCHMARKS.md, "Libraries or code of our own"): on the happy path this
// reads the fields and allocates nothing but its result. When a field is wrong, a second pass over the
// fields words every problem, field by field in a fixed order (test/unit/payloads.test.ts).

// Chat documents these as integers; numeric strings are accepted too (docs/callbacks.md), JSON's `1e999` is not.
const DECIMAL = /^\d+(\.\d+)?([eE][+-]?\d+)?$/
const EVENT_TIME = /^\d{1,16}$/

/** The finite non-negative number a quantity field holds (a number or a decimal string), else NaN. */
function toQuantity(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : Number.NaN
  if (typeof value !== 'string') return Number.NaN
  const text = value.trim()
  if (!DECIMAL.test(text)) return Number.NaN
  const number = Number(text)
  return Number.isFinite(number) ? number : Number.NaN
}

/** EventTime in milliseconds (an integer or a string of digits), undefined when absent, else NaN. */
function toEventTime(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : Number.NaN
  if (typeof value !== 'string') return Number.NaN
  const text = value.trim()
  return EVENT_TIME.test(text) ? Number(text) : Number.NaN
}

const isLabelValue = (value: unknown): value is string =>
  typeof value === 'string' && isValidLabelValue(value)

/** What is wrong with a field's value, or undefined when nothing is. */
type Problem = (value: unknown) => string | undefined

const labelProblem: Problem = (value) => {
  if (typeof value !== 'string') return `must be a string, got ${quoteForMessage(value)}`
  if (!isValidLabelValue(value)) return `must be 1-128 letters, digits or _.-/, got ${quoteForMessage(value)}`
  return undefined
}

const quantityProblem: Problem = (value) => {
  if (!Number.isNaN(toQuantity(value))) return undefined
  // A numeric string too large for a double is named by the number it became.
  const shown = typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value.trim()) : value
  return `must be a finite non-negative number, got ${quoteForMessage(shown)}`
}

const eventTimeProblem: Problem = (value) =>
  Number.isNaN(toEventTime(value))
    ? `must be a time in milliseconds, got ${quoteForMessage(value)}`
    : undefined

/** Every problem of the body, field by field: `<field> is missing` or `<field> <problem>`. */
function invalid(
  fields: Record<string, unknown>,
  checks: ReadonlyArray<[string, Problem]>,
): CallbackRejection {
  const problems: string[] = []
  for (const [field, problem] of checks) {
    const value = fields[field]
    const text = problem(value)
    if (text !== undefined) problems.push(value === undefined ? `${field} is missing` : `${field} ${text}`)
  }
  return new CallbackRejection('invalid_payload', problems.join('; '))
}

const ALERT_FIELDS: ReadonlyArray<[string, Problem]> = [
  ['ServiceName', labelProblem],
  ['Command', labelProblem],
  ['Request', quantityProblem],
  ['Limit', quantityProblem],
]

const GROUP_QUOTA_FIELDS: ReadonlyArray<[string, Problem]> = [
  ['QuotaUsed', quantityProblem],
  ['Quota', quantityProblem],
  ['EventTime', eventTimeProblem],
]

function requestOverLimit(fields: Record<string, unknown>): CallbackPayload {
  const { ServiceName: serviceName, Command: command } = fields
  const request = toQuantity(fields.Request)
  const limit = toQuantity(fields.Limit)
  if (!isLabelValue(serviceName) || !isLabelValue(command) || Number.isNaN(request) || Number.isNaN(limit)) {
    throw invalid(fields, ALERT_FIELDS)
  }
  return { kind: 'request_over_limit', alert: { serviceName, command, request, limit } }
}

function groupQuota(fields: Record<string, unknown>): CallbackPayload {
  const quotaUsed = toQuantity(fields.QuotaUsed)
  const quota = toQuantity(fields.Quota)
  const eventTimeMs = toEventTime(fields.EventTime)
  if (Number.isNaN(quotaUsed) || Number.isNaN(quota) || Number.isNaN(eventTimeMs)) {
    throw invalid(fields, GROUP_QUOTA_FIELDS)
  }
  return { kind: 'group_quota', alarm: { quotaUsed, quota, eventTimeMs } }
}

/**
 * Validates a parsed JSON body against the command named in the query string. Throws
 * `invalid_payload` for anything that is not a JSON object of the right shape.
 */
export function parsePayload(callbackCommand: string, body: unknown): CallbackPayload {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    const kind = body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body
    throw new CallbackRejection('invalid_payload', `the body must be a JSON object, got ${kind}`)
  }
  const fields = body as Record<string, unknown>
  const bodyCommand = fields.CallbackCommand
  if (bodyCommand !== undefined && bodyCommand !== callbackCommand) {
    throw new CallbackRejection(
      'invalid_payload',
      `body CallbackCommand ${quoteForMessage(bodyCommand)} differs from the query's ${quoteForMessage(callbackCommand)}`,
    )
  }
  if (callbackCommand === ALERT_REQUEST_OVER_LIMIT) return requestOverLimit(fields)
  if (callbackCommand === GROUP_DAILY_QUOTA_ALARM) return groupQuota(fields)
  return OTHER
}
