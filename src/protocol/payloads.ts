import { z } from 'zod'
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

// Chat documents these as integers; numeric strings are accepted too (docs/callbacks.md), JSON's `1e999`
// is not.
const DECIMAL = /^\d+(\.\d+)?([eE][+-]?\d+)?$/

/** A message for every way a value can be wrong, with the value quoted (cut at any Sign). */
const got =
  (problem: string) =>
  (issue: { input?: unknown }): string =>
    `${problem}, got ${quoteForMessage(issue.input)}`

const notAQuantity = got('must be a finite non-negative number')
// A number or a decimal string; a numeric string too large for a double (`1e999`) becomes Infinity, which
// the pipe's number() refuses and names by the number it became.
const quantity = z
  .union([z.number(), z.string().trim().regex(DECIMAL).transform(Number)], { error: notAQuantity })
  .pipe(z.number({ error: notAQuantity }).nonnegative({ error: notAQuantity }))

const labelValue = z
  .string({ error: got('must be a string') })
  .refine(isValidLabelValue, { error: got('must be 1-128 letters, digits or _.-/') })

// Milliseconds as an integer or a string of digits (Chat's sample shows a string): each check words its
// problem the same way.
const notATime = got('must be a time in milliseconds')
const eventTime = z
  .union(
    [
      z.number().refine((ms) => Number.isSafeInteger(ms) && ms >= 0, { error: notATime }),
      z
        .string()
        .trim()
        .regex(/^\d{1,16}$/)
        .transform(Number),
    ],
    { error: notATime },
  )
  .optional()

const alertSchema = z.object({
  ServiceName: labelValue,
  Command: labelValue,
  Request: quantity,
  Limit: quantity,
})

const groupQuotaSchema = z.object({
  QuotaUsed: quantity,
  Quota: quantity,
  EventTime: eventTime,
})

/** Every problem of the body, field by field: `<field> is missing` or `<field> <problem>`. */
function validate<T extends z.ZodType>(schema: T, fields: Record<string, unknown>): z.output<T> {
  const result = schema.safeParse(fields, { reportInput: true })
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const field = String(issue.path[0])
    return fields[field] === undefined ? `${field} is missing` : `${field} ${issue.message}`
  })
  throw new CallbackRejection('invalid_payload', problems.join('; '))
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
  if (callbackCommand === ALERT_REQUEST_OVER_LIMIT) {
    const { ServiceName, Command, Request, Limit } = validate(alertSchema, fields)
    return {
      kind: 'request_over_limit',
      alert: { serviceName: ServiceName, command: Command, request: Request, limit: Limit },
    }
  }
  if (callbackCommand === GROUP_DAILY_QUOTA_ALARM) {
    const { QuotaUsed, Quota, EventTime } = validate(groupQuotaSchema, fields)
    return { kind: 'group_quota', alarm: { quotaUsed: QuotaUsed, quota: Quota, eventTimeMs: EventTime } }
  }
  return OTHER
}
