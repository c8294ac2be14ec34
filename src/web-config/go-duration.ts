const UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}
const DURATION = /^(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h)/

/** A Go duration (`1s`, `1m30s`, `250ms`, `0`) in milliseconds, or `undefined` when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0
  let rest = text
  let total = 0
  if (rest === '') return undefined
  while (rest !== '') {
    const match = DURATION.exec(rest)
    if (!match) return undefined
    const [part] = match
    const unit = /(ns|us|µs|ms|s|m|h)$/.exec(part)?.[1] as string
    total += Number(part.slice(0, -unit.length)) * (UNITS_MS[unit] as number)
    rest = rest.slice(part.length)
  }
  return total
}
