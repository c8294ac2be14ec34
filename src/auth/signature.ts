import { createHash } from 'node:crypto'

/**
 * Chat's callback signature: lower-case hex SHA-256 of the token immediately followed by the decimal
 * RequestTime. A plain hash, not an HMAC (Webhook Overview, "Security Considerations").
 */
export function computeSign(token: string, requestTime: string | number): string {
  return createHash('sha256').update(`${token}${requestTime}`, 'utf8').digest('hex')
}

/** Compares in constant time, ignoring the case of the hex digits. */
export function signMatches(token: string, requestTime: string, sign: string): boolean {
  return signMatchesExpected([computeSign(token, requestTime)], sign)
}

/**
 * Whether the Sign is one of the expected Signs (lower-case hex, as computeSign gives them; see
 * expected-signs.ts), ignoring the case of the hex digits, and 64 hex digits itself. Every expected
 * Sign is compared over all 64 digits without an early exit or a branch on the digits, so the time
 * taken does not tell which token (or whether one) matched, nor how many digits did; nothing is
 * allocated. Whether the Sign is made of hex digits is checked in the same pass (a regular expression
 * cost as much as the comparison).
 */
export function signMatchesExpected(expected: readonly string[], sign: string): boolean {
  if (sign.length !== 64) return false
  let matched = 0
  let invalid = 0
  for (const want of expected) {
    let diff = want.length ^ 64
    for (let i = 0; i < 64; i++) {
      const code = sign.charCodeAt(i)
      // Setting bit 0x20 lower-cases A-F and leaves 0-9 as they are.
      const lower = code | 0x20
      // 1 when neither a digit (48-57) nor, once lower-cased, a letter a-f (97-102), without a branch:
      // `(x - low) | (high - x)` is negative exactly when x is outside [low, high].
      invalid |= (((code - 48) | (57 - code)) & ((lower - 97) | (102 - lower))) >>> 31
      diff |= lower ^ want.charCodeAt(i)
    }
    // 1 when diff is 0 (every digit equal), else 0, without a branch: diff is never negative.
    matched |= (diff - 1) >>> 31
  }
  return (matched & (invalid ^ 1)) === 1
}
