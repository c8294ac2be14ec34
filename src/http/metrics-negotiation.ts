import type { ExpositionFormat } from '../metrics/render-metrics.js'

/**
 * The formats `/metrics` can answer, in the order that breaks a tie the client leaves open (`*\/*`, no
 * header, a browser): the Prometheus text format first, as client_golang does.
 */
const OFFERS: ReadonlyArray<{ format: ExpositionFormat; type: string; subtype: string; version: string }> = [
  { format: 'text', type: 'text', subtype: 'plain', version: '0.0.4' },
  { format: 'openmetrics', type: 'application', subtype: 'openmetrics-text', version: '1.0.0' },
]

/** One media range of an Accept header, lower-cased; `version` only when the range names one. */
export interface MediaRange {
  type: string
  subtype: string
  version: string | undefined
  q: number
}

/**
 * Chooses the exposition format for a scrape from its `Accept` header, as RFC 9110 §12.5.1 describes:
 * each format gets the q-value of the most specific media range that matches it (`type/subtype` with a
 * `version` before `type/subtype`, `type/*`, `*\/*`); the highest q above 0 wins; a tie goes to the range
 * the client listed first, then to the text format.
 *
 * A range matches a format by its media type and, when it has one, its `version`. Its other parameters
 * (`charset`, `escaping`, protobuf's `proto` and `encoding`) never rule a format out: the exporter's
 * names are valid in every escaping scheme and its output is UTF-8. Ranges for formats the exporter does
 * not render (protobuf, OpenMetrics 2.0, text 1.0.0) match nothing, so the scraper's next choice is
 * served. When nothing acceptable is left, or the header is missing or unreadable, the answer is the
 * text format rather than 406: a scrape that fails teaches the operator less than one in a format
 * the scraper did not list.
 */
export function negotiateExposition(accept: string | undefined): ExpositionFormat {
  if (accept === undefined || accept.trim() === '') return 'text'
  const ranges = parseAccept(accept)
  let best: { format: ExpositionFormat; q: number; specificity: number; position: number } | undefined
  for (const offer of OFFERS) {
    let match: { q: number; specificity: number; position: number } | undefined
    for (const [position, range] of ranges.entries()) {
      const specificity = specificityFor(range, offer)
      if (specificity > (match?.specificity ?? -1)) match = { q: range.q, specificity, position }
    }
    if (match === undefined || match.q <= 0) continue
    if (
      best === undefined ||
      match.q > best.q ||
      (match.q === best.q &&
        (match.specificity > best.specificity ||
          (match.specificity === best.specificity && match.position < best.position)))
    ) {
      best = { format: offer.format, ...match }
    }
  }
  return best?.format ?? 'text'
}

/** How specifically `range` names `offer` (3 = with its version … 0 = `*\/*`), or -1 when it does not. */
function specificityFor(range: MediaRange, offer: (typeof OFFERS)[number]): number {
  if (range.type === '*') return range.subtype === '*' ? 0 : -1
  if (range.type !== offer.type) return -1
  if (range.subtype === '*') return 1
  if (range.subtype !== offer.subtype) return -1
  if (range.version === undefined) return 2
  return range.version === offer.version ? 3 : -1
}

/**
 * Parses an Accept header into its media ranges, in order. Quoted parameter values may contain commas
 * and semicolons. A range that is not `type/subtype`, or whose q is not a number from 0 to 1, is
 * dropped (RFC 9110 lets a server ignore what it cannot read); a repeated parameter keeps its first
 * value.
 */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = []
  for (const element of splitOutsideQuotes(header, ',')) {
    const [mediaType = '', ...parameters] = splitOutsideQuotes(element, ';')
    const slash = mediaType.indexOf('/')
    const type = mediaType.slice(0, slash).trim().toLowerCase()
    const subtype = mediaType
      .slice(slash + 1)
      .trim()
      .toLowerCase()
    if (slash < 0 || !TOKEN.test(type) || !TOKEN.test(subtype)) continue
    if (type === '*' && subtype !== '*') continue
    let version: string | undefined
    let q: number | undefined
    let readable = true
    for (const parameter of parameters) {
      const equals = parameter.indexOf('=')
      if (equals < 0) continue
      const name = parameter.slice(0, equals).trim().toLowerCase()
      const value = unquote(parameter.slice(equals + 1).trim())
      if (name === 'q' && q === undefined) {
        q = QVALUE.test(value) ? Number(value) : Number.NaN
        if (Number.isNaN(q)) readable = false
      } else if (name === 'version' && version === undefined) {
        version = value
      }
    }
    if (readable) ranges.push({ type, subtype, version, q: q ?? 1 })
  }
  return ranges
}

// RFC 9110 token characters, and a qvalue: 0 to 1 with at most three decimals.
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string
    if (quoted && char === '\\' && i + 1 < text.length) {
      current += char + text[++i]
    } else if (char === '"') {
      quoted = !quoted
      current += char
    } else if (char === separator && !quoted) {
      parts.push(current)
      current = ''
    } else {
      current += char
    }
  }
  parts.push(current)
  return parts.filter((part) => part.trim() !== '')
}

function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value
  return value.slice(1, -1).replace(/\\(.)/g, '$1')
}
