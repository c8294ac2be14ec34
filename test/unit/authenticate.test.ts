import { describe, expect, it } from 'vitest'
import { type AuthPolicy, createAuthenticator } from '../../src/auth/authenticate.js'
import { createCallbackTokens } from '../../src/auth/callback-tokens.js'
import { computeSign } from '../../src/auth/signature.js'
import type { CallbackQuery } from '../../src/protocol/callback-query.js'
import { CallbackRejection } from '../../src/protocol/rejection.js'

const NOW_S = 1_700_000_000
const policy: AuthPolicy = {
  sdkAppIds: new Set(['1400000001']),
  callbackTokens: createCallbackTokens('CALLBACK_TOKEN', ['tok3n']),
  maxClockSkewSeconds: 60,
}

function query(overrides: Partial<CallbackQuery> = {}): CallbackQuery {
  return {
    sdkAppId: '1400000001',
    callbackCommand: 'Alert.RequestOverLimit',
    requestTime: String(NOW_S),
    sign: computeSign('tok3n', NOW_S),
    optPlatform: 'RESTAPI',
    contentType: 'json',
    clientIp: undefined,
    ...overrides,
  }
}

/** A fresh authenticator for one check; the rotation tests below keep one across checks. */
const authenticate = (q: CallbackQuery, p: AuthPolicy, nowMs: number) => createAuthenticator(p)(q, nowMs)

function rejectionOf(fn: () => void): CallbackRejection {
  try {
    fn()
  } catch (error) {
    if (error instanceof CallbackRejection) return error
    throw error
  }
  throw new Error('expected a rejection')
}

describe('authenticate', () => {
  it('accepts a signed request from an allowed app', () => {
    expect(() => authenticate(query(), policy, NOW_S * 1000)).not.toThrow()
  })

  it('accepts any app and no signature when neither is configured', () => {
    const open = { sdkAppIds: undefined, callbackTokens: undefined, maxClockSkewSeconds: 60 }
    expect(() =>
      authenticate(query({ sdkAppId: '42', sign: undefined, requestTime: undefined }), open, 0),
    ).not.toThrow()
  })

  it('rejects an app that is not in SDKAPPIDS before looking at the signature', () => {
    const rejection = rejectionOf(() =>
      authenticate(query({ sdkAppId: '1400000002', sign: 'x' }), policy, NOW_S * 1000),
    )
    expect(rejection.reason).toBe('sdkappid_not_allowed')
    expect(rejection.status).toBe(403)
  })

  it.each([
    ['Sign', { sign: undefined }],
    ['RequestTime', { requestTime: undefined }],
    ['Sign (empty)', { sign: '' }],
  ])('rejects a request without %s as missing_signature', (_, overrides) => {
    const rejection = rejectionOf(() => authenticate(query(overrides), policy, NOW_S * 1000))
    expect(rejection.reason).toBe('missing_signature')
    expect(rejection.status).toBe(401)
  })

  it('accepts a RequestTime exactly MAX_CLOCK_SKEW_SECONDS away, in both directions', () => {
    for (const skew of [-60, 60]) {
      const time = NOW_S + skew
      expect(() =>
        authenticate(
          query({ requestTime: String(time), sign: computeSign('tok3n', time) }),
          policy,
          NOW_S * 1000,
        ),
      ).not.toThrow()
    }
  })

  it.each([
    ['in the past', -61],
    ['in the future', 61],
  ])('rejects a RequestTime more than the skew %s as stale_request', (_, skew) => {
    const time = NOW_S + skew
    const rejection = rejectionOf(() =>
      authenticate(
        query({ requestTime: String(time), sign: computeSign('tok3n', time) }),
        policy,
        NOW_S * 1000,
      ),
    )
    expect(rejection.reason).toBe('stale_request')
    expect(rejection.detail).toMatch(skew < 0 ? /behind/ : /ahead of/)
  })

  it('rejects a RequestTime that is not a number as stale_request', () => {
    expect(
      rejectionOf(() => authenticate(query({ requestTime: '12abc' }), policy, NOW_S * 1000)).reason,
    ).toBe('stale_request')
  })

  it('rejects a wrong signature as bad_signature, without echoing the token or the Sign', () => {
    const sign = computeSign('wrong', NOW_S)
    const rejection = rejectionOf(() => authenticate(query({ sign }), policy, NOW_S * 1000))
    expect(rejection.reason).toBe('bad_signature')
    expect(rejection.message).not.toContain('tok3n')
    expect(rejection.message).not.toContain(sign)
  })

  it('checks the signature against the RequestTime it was made for (no replay with a fresh time)', () => {
    const rejection = rejectionOf(() =>
      authenticate(
        query({ requestTime: String(NOW_S + 1), sign: computeSign('tok3n', NOW_S) }),
        policy,
        NOW_S * 1000,
      ),
    )
    expect(rejection.reason).toBe('bad_signature')
  })

  describe('with several tokens', () => {
    const tokens = createCallbackTokens('CALLBACK_TOKEN_FILE', ['old-token', 'new-token'])
    const several: AuthPolicy = { sdkAppIds: undefined, callbackTokens: tokens, maxClockSkewSeconds: 60 }

    it('accepts a Sign made with any of them', () => {
      for (const token of ['old-token', 'new-token']) {
        expect(() =>
          authenticate(query({ sign: computeSign(token, NOW_S) }), several, NOW_S * 1000),
        ).not.toThrow()
      }
    })

    it('rejects a Sign made with none of them', () => {
      const rejection = rejectionOf(() =>
        authenticate(query({ sign: computeSign('other-token', NOW_S) }), several, NOW_S * 1000),
      )
      expect(rejection.reason).toBe('bad_signature')
      expect(rejection.message).not.toMatch(/old-token|new-token/)
    })

    it('reads the tokens in force on every request, so a replaced token stops matching', () => {
      const live = createCallbackTokens('CALLBACK_TOKEN_FILE', ['old-token'])
      // One authenticator throughout, as the exporter has: its kept Signs must follow the rotation.
      const check = createAuthenticator({
        sdkAppIds: undefined,
        callbackTokens: live,
        maxClockSkewSeconds: 60,
      })
      const signedWith = (token: string) => query({ sign: computeSign(token, NOW_S) })
      expect(() => check(signedWith('old-token'), NOW_S * 1000)).not.toThrow()
      expect(rejectionOf(() => check(signedWith('new-token'), NOW_S * 1000)).reason).toBe('bad_signature')
      live.replace(['old-token', 'new-token'])
      expect(() => check(signedWith('new-token'), NOW_S * 1000)).not.toThrow()
      expect(() => check(signedWith('old-token'), NOW_S * 1000)).not.toThrow()
      live.replace(['new-token'])
      // Same RequestTime, same second: the Sign the old token gave was kept, and must not pass now.
      expect(rejectionOf(() => check(signedWith('old-token'), NOW_S * 1000)).reason).toBe('bad_signature')
      expect(() => check(signedWith('new-token'), NOW_S * 1000)).not.toThrow()
    })

    it('accepts the same signed callback again and again within the window (no per-request state)', () => {
      const check = createAuthenticator(several)
      for (let i = 0; i < 3; i++) {
        for (const token of ['old-token', 'new-token']) {
          expect(() =>
            check(query({ sign: computeSign(token, NOW_S) }), NOW_S * 1000 + i * 500),
          ).not.toThrow()
        }
        expect(rejectionOf(() => check(query({ sign: computeSign('x', NOW_S) }), NOW_S * 1000)).reason).toBe(
          'bad_signature',
        )
      }
    })

    it('keeps the RequestTime text that was signed: leading zeros sign differently', () => {
      const check = createAuthenticator(several)
      const padded = `00${NOW_S}`
      expect(() =>
        check(query({ requestTime: padded, sign: computeSign('new-token', padded) }), NOW_S * 1000),
      ).not.toThrow()
      expect(
        rejectionOf(() =>
          check(query({ requestTime: padded, sign: computeSign('new-token', NOW_S) }), NOW_S * 1000),
        ).reason,
      ).toBe('bad_signature')
      expect(() => check(query({ sign: computeSign('new-token', NOW_S) }), NOW_S * 1000)).not.toThrow()
    })

    it('never replaces the tokens with none (authentication cannot fall open)', () => {
      const live = createCallbackTokens('CALLBACK_TOKEN_FILE', ['old-token'])
      expect(() => live.replace([])).toThrow(/none/)
      expect(live.current).toEqual(['old-token'])
      expect(() => createCallbackTokens('CALLBACK_TOKEN_FILE', [])).toThrow()
    })
  })
})
