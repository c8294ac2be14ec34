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

type Params = Map<string, string | string[]>

/**
 * The parameters by lower-cased name, so that the case of a name does not matter (Chat writes
 * `SdkAppid`, its LiveKit sibling `SdkAppId`). A name given twice, in any case, maps to an array.
 */
function byLowerCaseName(query: RawQuery): Params {
  const params: Params = new Map()
  for (const key in query) {
    const value = query[key]
    if (value === undefined) continue
    const name = key.toLowerCase()
    const seen = params.get(name)
    params.set(name, seen === undefined ? value : [seen, value].flat())
  }
  return params
}

/** One parameter's value; one given more than once is ambiguous and rejected. */
function pick(params: Params, name: string): string | undefined {
  const value = params.get(name.toLowerCase())
  if (Array.isArray(value)) {
    throw new CallbackRejection('invalid_payload', `query parameter ${name} is given more than once`)
  }
  return value
}

export function parseCallbackQuery(query: RawQuery): CallbackQuery {
  const params = byLowerCaseName(query)
  const sdkAppId = pick(params, 'SdkAppid')
  if (sdkAppId === undefined || sdkAppId === '') {
    throw new CallbackRejection('invalid_payload', 'query parameter SdkAppid is missing')
  }
  if (!SDKAPPID.test(sdkAppId)) {
    throw new CallbackRejection(
      'invalid_payload',
      `query parameter SdkAppid must be a numeric SDKAppID, got ${quoteForMessage(sdkAppId)}`,
    )
  }
  const callbackCommand = pick(params, 'CallbackCommand')
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
    sign: pick(params, 'Sign'),
    requestTime: pick(params, 'RequestTime'),
    optPlatform: pick(params, 'OptPlatform'),
    contentType: pick(params, 'contenttype'),
    clientIp: pick(params, 'ClientIP'),
  }
}
