import type { CallbackQuery } from '../protocol/callback-query.js'
import { quoteForMessage } from '../protocol/label-value.js'
import { CallbackRejection } from '../protocol/rejection.js'
import type { CallbackTokens } from './callback-tokens.js'
import { createExpectedSigns, type ExpectedSigns } from './expected-signs.js'
import { signMatchesExpected } from './signature.js'

export interface AuthPolicy {
  /** SDKAppIDs to accept; `undefined` accepts any. */
  sdkAppIds: ReadonlySet<string> | undefined
  /** Tokens a Sign may match (read on every request: a token file is re-read); `undefined` turns Sign checks off. */
  callbackTokens: CallbackTokens | undefined
  maxClockSkewSeconds: number
}

const UNIX_SECONDS = /^\d{1,12}$/

export type Authenticate = (query: CallbackQuery, nowMs: number) => void

/**
 * Checks that a callback comes from Chat for one of our apps: the SDKAppID allow-list, then, when a
 * token is configured, the freshness of RequestTime (both directions, against replays) and the Sign.
 * Throws a CallbackRejection; never puts the token or the Sign into its message. The expected Sign of
 * each RequestTime is kept while it is within the skew window (expected-signs.ts).
 */
export function createAuthenticator(policy: AuthPolicy): Authenticate {
  const expectedSigns =
    policy.callbackTokens && createExpectedSigns(policy.callbackTokens, policy.maxClockSkewSeconds)
  return (query, nowMs) => authenticate(query, policy, expectedSigns, nowMs)
}

function authenticate(
  query: CallbackQuery,
  policy: AuthPolicy,
  expectedSigns: ExpectedSigns | undefined,
  nowMs: number,
): void {
  if (policy.sdkAppIds !== undefined && !policy.sdkAppIds.has(query.sdkAppId)) {
    throw new CallbackRejection('sdkappid_not_allowed', `SdkAppid ${query.sdkAppId} is not in SDKAPPIDS`)
  }
  if (expectedSigns === undefined) return
  if (query.sign === undefined || query.sign === '') {
    throw new CallbackRejection('missing_signature', 'query parameter Sign is missing')
  }
  if (query.requestTime === undefined || query.requestTime === '') {
    throw new CallbackRejection('missing_signature', 'query parameter RequestTime is missing')
  }
  if (!UNIX_SECONDS.test(query.requestTime)) {
    throw new CallbackRejection(
      'stale_request',
      `RequestTime must be a Unix time in seconds, got ${quoteForMessage(query.requestTime, 20)}`,
    )
  }
  const nowSeconds = nowMs / 1000
  const skewSeconds = Number(query.requestTime) - nowSeconds
  if (Math.abs(skewSeconds) > policy.maxClockSkewSeconds) {
    const direction = skewSeconds > 0 ? 'ahead of' : 'behind'
    throw new CallbackRejection(
      'stale_request',
      `RequestTime is ${Math.round(Math.abs(skewSeconds))}s ${direction} the exporter's clock (limit ${policy.maxClockSkewSeconds}s)`,
    )
  }
  // Only now, past the skew check: the RequestTimes kept are those of the window.
  if (!signMatchesExpected(expectedSigns.forRequestTime(query.requestTime, nowSeconds), query.sign)) {
    throw new CallbackRejection(
      'bad_signature',
      'Sign does not match the configured token(s) and RequestTime',
    )
  }
}
