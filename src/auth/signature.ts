import { createHash } from 'node:crypto'

/**
 * Chat's callback signature: lower-case hex SHA-256 of the token immediately followed by the decimal
 * RequestTime. A plain hash, not an HMAC (Webhook Overview, "Security Considerations").
 */
export function computeSign(token: string, requestTime: string | number): string {
  return createHash('sha256').update(`${token}${requestTime}`, 'utf8').digest('hex')
}

const HEX_SHA256 = /^[0-9a-fA-F]{64}$/

/** Compares in constant time, ignoring the case of the hex digits. */
export function signMatches(token: string, requestTime: string, sign: string): boolean {
  return signMatchesExpected([computeSign(token, requestTime)], sign)
}

/**
 * Whether the Sign is one of the expected Signs (lower-case hex, as computeSign gives them; see
 * expected-signs.ts), ignoring the case of the hex digits. Every expected Sign is compared over all
 * 64 digits without an early exit or a branch on the digits, so the time taken does not tell which
 * token (or whether one) matched, nor how many digits did; nothing is allocated. The Sign is first
 * checked to be 64 hex digits: its form is the client's, not a secret.
 */
export function signMatchesExpected(expected: readonly string[], sign: string): boolean {
  if (!HEX_SHA256.test(sign)) return false
  let matched = 0
  for (const want of expected) {
    let diff = want.length ^ 64
    for (let i = 0; i < 64; i++) {
      // Setting bit 0x20 lower-cases A-F and leaves 0-9 as they are; the Sign holds nothing else.
      diff |= (sign.charCodeAt(i) | 0x20) ^ want.charCodeAt(i)
    }
    // 1 when diff is 0 (every digit equal), else 0, without a branch: diff is never negative.
    matched |= (diff - 1) >>> 31
  }
  return matched === 1
}
