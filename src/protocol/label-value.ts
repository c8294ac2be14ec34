/** SPEC §3: label values are 1–128 characters of letters, digits, `_ . - /`. */
const LABEL_VALUE = /^[A-Za-z0-9_./-]{1,128}$/

export function isValidLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value)
}

/**
 * A short, printable rendering of untrusted input for error messages and logs: strings quoted and
 * escaped as JSON, other values as JSON (`5`, `null`, `[1,2]`), all cut to `max` characters.
 */
export function quoteForMessage(value: unknown, max = 64): string {
  const cut = (text: string) => (text.length > max ? `${text.slice(0, max)}…` : text)
  if (typeof value === 'string') return JSON.stringify(cut(value))
  try {
    return cut(JSON.stringify(value) ?? String(value))
  } catch {
    return cut(String(value))
  }
}
