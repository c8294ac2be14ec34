/** SPEC §3: label values are 1–128 characters of letters, digits, `_ . - /`. */
const LABEL_VALUE = /^[A-Za-z0-9_./-]{1,128}$/

export function isValidLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value)
}

/**
 * A short, printable rendering of untrusted input for error messages and logs: strings quoted and
 * escaped as JSON and cut to `max` characters, numbers, booleans and null as themselves, arrays and
 * objects by kind only (rendering them could recurse as deep as the client nested them).
 */
export function quoteForMessage(value: unknown, max = 64): string {
  if (typeof value === 'string') return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value)
  if (Array.isArray(value)) return 'an array'
  if (value !== null && typeof value === 'object') return 'an object'
  return String(value)
}
