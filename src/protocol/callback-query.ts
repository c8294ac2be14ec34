import { isValidLabelValue, quoteForMessage } from './label-value.js'
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

type RawQuery = Record<string, string | string[] | undefined>

const SDKAPPID = /^\d{1,20}$/

/**
 * Reads the parameters by name, ignoring the case of the name (Chat writes `SdkAppid`, its LiveKit
 * sibling `SdkAppId`); a parameter given twice is ambiguous and rejected.
 */
function pick(query: RawQuery, name: string): string | undefined {
  const wanted = name.toLowerCase()
  let found: string | undefined
  for (const [key, value] of Object.entries(query)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue
    if (Array.isArray(value) || found !== undefined) {
      throw new CallbackRejection('invalid_payload', `query parameter ${name} is given more than once`)
    }
    found = value
  }
  return found
}

export function parseCallbackQuery(query: RawQuery): CallbackQuery {
  const sdkAppId = pick(query, 'SdkAppid')
  if (sdkAppId === undefined || sdkAppId === '') {
    throw new CallbackRejection('invalid_payload', 'query parameter SdkAppid is missing')
  }
  if (!SDKAPPID.test(sdkAppId)) {
    throw new CallbackRejection(
      'invalid_payload',
      `query parameter SdkAppid must be a numeric SDKAppID, got ${quoteForMessage(sdkAppId)}`,
    )
  }
  const callbackCommand = pick(query, 'CallbackCommand')
  if (callbackCommand === undefined || callbackCommand === '') {
    throw new CallbackRejection('invalid_payload', 'query parameter CallbackCommand is missing')
  }
  if (!isValidLabelValue(callbackCommand)) {
    throw new CallbackRejection(
      'invalid_payload',
      `query parameter CallbackCommand must be 1-128 letters, digits or _.-/, got ${quoteForMessage(callbackCommand)}`,
    )
  }
  return {
    sdkAppId,
    callbackCommand,
    sign: pick(query, 'Sign'),
    requestTime: pick(query, 'RequestTime'),
    optPlatform: pick(query, 'OptPlatform'),
    contentType: pick(query, 'contenttype'),
    clientIp: pick(query, 'ClientIP'),
  }
}
