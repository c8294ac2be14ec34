import { createHash, timingSafeEqual } from 'node:crypto'

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
  return signMatchesAny([token], requestTime, sign)
}

/**
 * Whether the Sign matches any of the tokens, ignoring the case of the hex digits. Every token is compared, each in constant time, so the
 * time taken does not tell which token (or whether one) matched. No token never matches.
 */
export function signMatchesAny(tokens: readonly string[], requestTime: string, sign: string): boolean {
  if (!HEX_SHA256.test(sign)) return false
  const given = Buffer.from(sign, 'hex')
  let matched = false
  for (const token of tokens) {
    const expected = Buffer.from(computeSign(token, requestTime), 'hex')
    if (timingSafeEqual(expected, given)) matched = true
  }
  return matched
}
