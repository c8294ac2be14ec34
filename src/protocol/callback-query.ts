import querystring from 'node:querystring'
import { isValidLabelValue, quoteForMessage, redactSecrets } from './label-value.js'
import { CallbackRejection } from './rejection.js'

/** The query parameters Chat appends to the callback URL (docs/callbacks.md). */
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

// The parameters read, in lower case (names are compared case-insensitively: Chat writes `SdkAppid`, its
// LiveKit sibling `SdkAppId`), and the spelling error messages use; the order is the order of the checks.
const NAMES = ['sdkappid', 'callbackcommand', 'sign', 'requesttime', 'optplatform', 'contenttype', 'clientip']
const SPELLINGS = [
  'SdkAppid',
  'CallbackCommand',
  'Sign',
  'RequestTime',
  'OptPlatform',
  'contenttype',
  'ClientIP',
]
const INDEX = new Map(NAMES.map((name, i) => [name, i]))

/** Node's querystring caps a query at 1,000 pairs, and so Koa's `ctx.query`; so does this parser. */
const MAX_PAIRS = 1000

/** A name or value as Node's querystring decodes it: `+` is a space, then percent-escapes if any. */
function decode(text: string): string {
  const spaced = text.includes('+') ? text.replaceAll('+', ' ') : text
  return spaced.includes('%') && PERCENT_ESCAPE.test(spaced) ? querystring.unescape(spaced) : spaced
}

/**
 * Which of NAMES the name `raw[start, end)` is, or -1. A plain ASCII name is compared in place, without
 * a copy; one with `%`, `+` or a non-ASCII character is decoded and lower-cased first.
 */
function nameIndex(raw: string, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const code = raw.charCodeAt(i)
    if (code === 37 || code === 43 || code > 127) {
      return INDEX.get(decode(raw.slice(start, end)).toLowerCase()) ?? -1
    }
  }
  switch (end - start) {
    case 4:
      return sameAsciiName(raw, start, 2) ? 2 : -1
    case 8:
      return sameAsciiName(raw, start, 0) ? 0 : sameAsciiName(raw, start, 6) ? 6 : -1
    case 11:
      for (let index = 3; index <= 5; index++) if (sameAsciiName(raw, start, index)) return index
      return -1
    case 15:
      return sameAsciiName(raw, start, 1) ? 1 : -1
    default:
      return -1
  }
}

/** Whether `raw` at `start` is NAMES[index], ignoring the case of ASCII letters. */
function sameAsciiName(raw: string, start: number, index: number): boolean {
  const name = NAMES[index] as string
  for (let i = 0; i < name.length; i++) {
    let code = raw.charCodeAt(start + i)
    if (code >= 65 && code <= 90) code += 32
    if (code !== name.charCodeAt(i)) return false
  }
  return true
}

/**
 * Reads Chat's parameters from the raw query string in one pass, without building an object of every
 * parameter: the same values as Node's `querystring.parse` (Koa's `ctx.query`) would give, names
 * compared case-insensitively. A parameter given twice, in any case, is ambiguous and rejected; so is a
 * missing or malformed `SdkAppid` or `CallbackCommand`.
 *
 * A parser of its own rather than URLSearchParams, which cost 6 to 12 µs more CPU per callback in the
 * running exporter, 8 to 13% of a callback (BENCHMARKS.md, "Libraries or code of our own").
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
      const index = nameIndex(rawQuery, start, equals)
      if (index >= 0) {
        if (values[index] !== undefined) repeated |= 1 << index
        values[index] = equals < end ? decode(rawQuery.slice(equals + 1, end)) : ''
      }
    }
    start = end + 1
  }
  // Checked in a fixed order, so that the first problem named does not depend on the query's order.
  const sdkAppId = single(values, repeated, 0)
  if (sdkAppId === undefined || sdkAppId === '') {
    throw new CallbackRejection('invalid_payload', 'query parameter SdkAppid is missing')
  }
  if (!SDKAPPID.test(sdkAppId)) {
    throw new CallbackRejection(
      'invalid_payload',
      `query parameter SdkAppid must be a numeric SDKAppID, got ${quoteForMessage(sdkAppId)}`,
    )
  }
  const callbackCommand = single(values, repeated, 1)
  if (callbackCommand === undefined || callbackCommand === '') {
    throw new CallbackRejection('invalid_payload', 'query parameter CallbackCommand is missing')
  }
  checkCommand(callbackCommand)
  return {
    sdkAppId,
    callbackCommand,
    sign: single(values, repeated, 2),
    requestTime: single(values, repeated, 3),
    optPlatform: single(values, repeated, 4),
    contentType: single(values, repeated, 5),
    clientIp: single(values, repeated, 6),
  }
}

/** Throws unless the CallbackCommand can be a label value and a log field. */
function checkCommand(callbackCommand: string): void {
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
}

/** One parameter's value; one given more than once is ambiguous and rejected. */
function single(values: Array<string | undefined>, repeated: number, index: number): string | undefined {
  if ((repeated & (1 << index)) !== 0) {
    throw new CallbackRejection(
      'invalid_payload',
      `query parameter ${SPELLINGS[index]} is given more than once`,
    )
  }
  return values[index]
}
