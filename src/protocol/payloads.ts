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

// Chat documents these as integers; numeric strings are accepted too (SPEC §3), JSON's `1e999` is not.
const DECIMAL = /^\d+(\.\d+)?([eE][+-]?\d+)?$/
const notAQuantity = (issue: { input?: unknown }) =>
  `must be a finite non-negative number, got ${quoteForMessage(issue.input)}`
const quantity = z
  .union([z.number(), z.string().trim().regex(DECIMAL).transform(Number)], { error: notAQuantity })
  // zod's number() refuses Infinity, which a numeric string such as "1e999" becomes.
  .pipe(z.number({ error: notAQuantity }).nonnegative({ error: notAQuantity }))

const labelValue = z
  .string({ error: (issue) => `must be a string, got ${quoteForMessage(issue.input)}` })
  .refine(isValidLabelValue, {
    error: (issue) => `must be 1-128 letters, digits or _.-/, got ${quoteForMessage(issue.input)}`,
  })

const alertSchema = z.object({
  ServiceName: labelValue,
  Command: labelValue,
  Request: quantity,
  Limit: quantity,
})

// EventTime is documented as an integer but shown as a string in the docs' sample: accept both.
const eventTime = z
  .union(
    [
      z.number().int().nonnegative(),
      z
        .string()
        .trim()
        .regex(/^\d{1,16}$/)
        .transform(Number),
    ],
    {
      error: (issue) => `must be a time in milliseconds, got ${quoteForMessage(issue.input)}`,
    },
  )
  .optional()

const groupQuotaSchema = z.object({
  QuotaUsed: quantity,
  Quota: quantity,
  EventTime: eventTime,
})

function describe(error: z.ZodError, body: Record<string, unknown>): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.join('.')
      return body[String(issue.path[0])] === undefined ? `${field} is missing` : `${field} ${issue.message}`
    })
    .join('; ')
}

function validate<T extends z.ZodType>(schema: T, body: Record<string, unknown>): z.output<T> {
  const result = schema.safeParse(body, { reportInput: true })
  if (!result.success) throw new CallbackRejection('invalid_payload', describe(result.error, body))
  return result.data
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
  return { kind: 'other' }
}
