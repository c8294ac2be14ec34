const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['min', 60],
  ['s', 1],
]

/** "3 min", "2 h 5 min", "4 d 2 h": a duration as a person reads it, to its two largest units. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const at = UNITS.findIndex(([, size]) => s >= size)
  if (at === -1 || at === UNITS.length - 1) return `${s} s`
  const [unit, size] = UNITS[at] as readonly [string, number]
  const [minorUnit, minorSize] = UNITS[at + 1] as readonly [string, number]
  const minor = Math.floor((s % size) / minorSize)
  return minor > 0
    ? `${Math.floor(s / size)} ${unit} ${minor} ${minorUnit}`
    : `${Math.floor(s / size)} ${unit}`
}

/** "12 s ago", "just now", or "in 3 s" for a time ahead of the clock. */
export function formatAgo(thenMs: number, nowMs: number): string {
  const ms = nowMs - thenMs
  if (Math.abs(ms) < 1000) return 'just now'
  return ms < 0 ? `in ${formatDuration(-ms)}` : `${formatDuration(ms)} ago`
}

/** ISO 8601 in UTC, to the second: for `<time datetime>` and tooltips. */
export function formatIso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`
}

// Made at the first page and kept: toLocaleString builds a formatter at every call, a third of the page's
// cost at 100 rows. Not at start-up: ICU's number formatting costs about 6 MiB of memory once used, which
// an exporter whose page nobody opens need not pay (BENCHMARKS.md, Footprint).
let formats: Record<'number' | 'percent' | 'smallPercent', Intl.NumberFormat> | undefined
const numberFormats = () =>
  (formats ??= {
    number: new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 }),
    percent: new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }),
    smallPercent: new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }),
  })

/** A count or a rate with at most two decimals and thousands separated: 1,234 or 12.5. */
export function formatNumber(value: number): string {
  return numberFormats().number.format(value)
}

/** A ratio as a percentage: 255%, 80.5%. */
export function formatPercent(ratio: number): string {
  const { percent, smallPercent } = numberFormats()
  return `${(ratio < 0.1 ? smallPercent : percent).format(ratio * 100)}%`
}

/** A duration in seconds as a person reads it: 50 ms, 2.5 s. */
export function formatSeconds(seconds: number): string {
  return seconds < 1 ? `${formatNumber(seconds * 1000)} ms` : `${formatNumber(seconds)} s`
}
