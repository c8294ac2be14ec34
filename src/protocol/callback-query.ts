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

// The parameters read, by lower-cased name (names are compared case-insensitively: Chat writes
// `SdkAppid`, its LiveKit sibling `SdkAppId`), with the spelling messages use.
const SPELLINGS = new Map(
  ['SdkAppid', 'CallbackCommand', 'Sign', 'RequestTime', 'OptPlatform', 'contenttype', 'ClientIP'].map(
    (name) => [name.toLowerCase(), name],
  ),
)

/**
 * Reads Chat's parameters from the raw query string (URLSearchParams: `+` is a space, percent-escapes
 * decoded as UTF-8), names compared case-insensitively. A parameter given twice, in any case, is
 * ambiguous and rejected; so is a missing or malformed `SdkAppid` or `CallbackCommand`.
 */
export function parseCallbackQuery(rawQuery: string): CallbackQuery {
  const values = new Map<string, string>()
  const repeated = new Set<string>()
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    const key = name.toLowerCase()
    if (!SPELLINGS.has(key)) continue
    if (values.has(key)) repeated.add(key)
    values.set(key, value)
  }
  /** One parameter's value; one given more than once is ambiguous and rejected. */
  const single = (key: string): string | undefined => {
    if (repeated.has(key)) {
      throw new CallbackRejection(
        'invalid_payload',
        `query parameter ${SPELLINGS.get(key)} is given more than once`,
      )
    }
    return values.get(key)
  }
  // Checked in a fixed order, so that the first problem named does not depend on the query's order.
  const sdkAppId = single('sdkappid')
  if (sdkAppId === undefined || sdkAppId === '') {
    throw new CallbackRejection('invalid_payload', 'query parameter SdkAppid is missing')
  }
  if (!SDKAPPID.test(sdkAppId)) {
    throw new CallbackRejection(
      'invalid_payload',
      `query parameter SdkAppid must be a numeric SDKAppID, got ${quoteForMessage(sdkAppId)}`,
    )
  }
  const callbackCommand = single('callbackcommand')
  if (callbackCommand === undefined || callbackCommand === '') {
    throw new CallbackRejection('invalid_payload', 'query parameter CallbackCommand is missing')
  }
  checkCommand(callbackCommand)
  return {
    sdkAppId,
    callbackCommand,
    sign: single('sign'),
    requestTime: single('requesttime'),
    optPlatform: single('optplatform'),
    contentType: single('contenttype'),
    clientIp: single('clientip'),
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
