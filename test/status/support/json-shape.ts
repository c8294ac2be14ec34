/** The kinds of the fields of `value`, recursively (arrays by the kinds of their elements): to compare a documented JSON example with a real answer. */
export function shape(value: unknown): unknown {
  if (Array.isArray(value)) {
    const kinds = value.map(shape)
    // Elements may differ in which fields are null; a field is "number|null" if either kind occurs.
    return kinds.reduce((merged, kind) => merge(merged, kind), kinds[0])
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, shape(field)]))
  }
  return value === null ? 'null' : typeof value
}

function merge(a: unknown, b: unknown): unknown {
  if (typeof a === 'string' && typeof b === 'string') {
    return [...new Set([...a.split('|'), ...b.split('|')])].sort().join('|')
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    return Object.fromEntries(
      keys.map((key) => [
        key,
        merge((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
      ]),
    )
  }
  return a ?? b
}
