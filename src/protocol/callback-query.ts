import querystring from 'node:querystring'
import { isValidLabelValue, quoteForMessage, redactSecrets } from './label-value.js'
import { CallbackRejection } from './rejection.js'

/** The query parameters Chat appends to the callback URL (SPEC §1). */
export interface CallbackQuery {
  sdkAppId: string
  callbackCommand: string
  /** Present when callback authentication is on. */
  sign: string | undefined
  /** The raw `RequestTime` (Unix seconds) as sent; validated by the signature check. */
  requestTime: string | undefined
  optPlatform: string | undefined
  contentType: string | undefined
  clientIp: string | undefined
}

const SDKAPPID = /^\d{1,20}$/
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/

// The parameters read, by lower-cased name (Chat writes `SdkAppid`, its LiveKit sibling `SdkAppId`),
// each with the spelling error messages use; the order is the order in which they are checked.
const PARAMETERS = [
  'SdkAppid',
  'CallbackCommand',
  'Sign',
  'RequestTime',
  'OptPlatform',
  'contenttype',
  'ClientIP',
]
const INDEX = new Map(PARAMETERS.map((name, i) => [name.toLowerCase(), i]))

/** Node's querystring caps a query at 1,000 pairs, and so Koa's `ctx.query`; so does this parser. */
const MAX_PAIRS = 1000

/** A name or value as Node's querystring decodes it: `+` is a space, then percent-escapes if any. */
function decode(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text
  return PERCENT_ESCAPE.test(spaced) ? querystring.unescape(spaced) : spaced
}

/**
 * Reads Chat's parameters from the raw query string in one pass, without building an object of every
 * parameter: the same values as Node's `querystring.parse` (Koa's `ctx.query`) would give, names
 * compared case-insensitively. A parameter given twice, in any case, is ambiguous and rejected; so is a
 * missing or malformed `SdkAppid` or `CallbackCommand`.
 */
export function parseCallbackQuery(rawQuery: string): CallbackQuery {
  const values: Array<string | undefined> = [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]
  let repeated = 0
  let start = 0
  for (let pairs = 0; start <= rawQuery.length && pairs < MAX_PAIRS; pairs++) {
    let end = rawQuery.indexOf('&', start)
    if (end === -1) end = rawQuery.length
    if (end > start) {
      let equals = rawQuery.indexOf('=', start)
      if (equals === -1 || equals > end) equals = end
      const index = INDEX.get(decode(rawQuery.slice(start, equals)).toLowerCase())
      if (index !== undefined) {
        if (values[index] !== undefined) repeated |= 1 << index
        values[index] = equals < end ? decode(rawQuery.slice(equals + 1, end)) : ''
      }
    }
    start = end + 1
  }
  const pick = (index: number): string | undefined => {
    if (repeated & (1 << index)) {
      throw new CallbackRejection(
        'invalid_payload',
        `query parameter ${PARAMETERS[index]} is given more than once`,
      )
    }
    return values[index]
  }

  const sdkAppId = pick(0)
  if (sdkAppId === undefined || sdkAppId === '') {
    throw new CallbackRejection('invalid_payload', 'query parameter SdkAppid is missing')
  }
  if (!SDKAPPID.test(sdkAppId)) {
    throw new CallbackRejection(
      'invalid_payload',
      `query parameter SdkAppid must be a numeric SDKAppID, got ${quoteForMessage(sdkAppId)}`,
    )
  }
  const callbackCommand = pick(1)
  if (callbackCommand === undefined || callbackCommand === '') {
    throw new CallbackRejection('invalid_payload', 'query parameter CallbackCommand is missing')
  }
  if (!isValidLabelValue(callbackCommand)) {
    throw new CallbackRejection(
      'invalid_payload',
      `query parameter CallbackCommand must be 1-128 letters, digits or _.-/, got ${quoteForMessage(callbackCommand)}`,
    )
  }
  // `CallbackCommand=X/Sign/<hex>` is a valid label value, but the client joined its parameters with
  // something other than `&`: it must become neither a label nor a log field.
  if (redactSecrets(callbackCommand) !== callbackCommand) {
    throw new CallbackRejection(
      'invalid_payload',
      `query parameter CallbackCommand holds a Sign or RequestTime, got ${quoteForMessage(callbackCommand)}: separate the query parameters with &`,
    )
  }
  return {
    sdkAppId,
    callbackCommand,
    sign: pick(2),
    requestTime: pick(3),
    optPlatform: pick(4),
    contentType: pick(5),
    clientIp: pick(6),
  }
}
