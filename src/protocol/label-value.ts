/** Label values are 1–128 characters of letters, digits, `_ . - /` (docs/callbacks.md, `invalid_payload`). */
const LABEL_VALUE = /^[A-Za-z0-9_./-]{1,128}$/

export function isValidLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value)
}

// The name of a Sign or RequestTime parameter inside a value, whatever the client put around it
// (`1400000001;Sign=…`, `…%26sign%3D…`, `X/Sign/…`), but not inside a longer word ("design", "Signal").
const SECRET_NAME = /(?<![a-z])(sign|requesttime)(?![a-z])/i
// A Sign, or a piece of one, however it got there: 16 or more hex digits with a letter other than `e`
// among them (an SDKAppID or a time is digits only, and a number in a JSON line such as
// 1.7976931348623157e+308 has only `e`). After `\u` and up to three hex digits a run is left to start
// later, so that a JSON escape such as `\u001f` is never broken in two.
const HEX_RUN = /(?<!\\u[0-9a-f]{0,3})[0-9a-f]{16,}/gi
const HEX_LETTER = /[a-df]/i
// Line and paragraph separators split lines in log tools; bidirectional controls reorder what a reader
// sees. JSON.stringify leaves them raw.
const INVISIBLE = /[\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * Whatever a client sent, made safe to repeat in a FAIL body or a log line: cut at the first Sign or
 * RequestTime parameter name (`…Sign=<redacted>`), and any remaining run of hex digits that could be a
 * piece of a Sign redacted. Rendering the cut value never shows the secret, whatever separator the
 * client used between its parameters.
 */
export function redactSecrets(text: string): string {
  const name = SECRET_NAME.exec(text)
  return redactHexRuns(name ? `${text.slice(0, name.index)}${name[0]}=<redacted>` : text)
}

/** Redacts every run of hex digits that could be a piece of a Sign; safe on a serialized JSON line. */
export function redactHexRuns(text: string): string {
  return text.replace(HEX_RUN, (run) => (HEX_LETTER.test(run) ? '<redacted>' : run))
}

/** Escapes the characters that JSON leaves raw but that break or disguise a log line. */
export function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/**
 * A short, printable rendering of untrusted input for error messages and logs: strings quoted and
 * escaped as JSON, secrets redacted (redactSecrets), then cut to `max` characters; numbers, booleans and
 * null as themselves, arrays and objects by kind only (rendering them could recurse as deep as the
 * client nested them).
 */
export function quoteForMessage(value: unknown, max = 64): string {
  if (typeof value === 'string') {
    const safe = redactSecrets(value)
    return escapeInvisible(JSON.stringify(safe.length > max ? `${safe.slice(0, max)}…` : safe))
  }
  if (Array.isArray(value)) return 'an array'
  if (value !== null && typeof value === 'object') return 'an object'
  return String(value)
}
