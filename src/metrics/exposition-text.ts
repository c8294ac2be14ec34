// The text of an exposition, written as prom-client 15 writes it (lib/registry.js, lib/util.js): the
// same escaping, number formatting and label order, so that a scrape reads the same as prom-client's own.

export function escapeString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

function escapeLabelValue(value: string | number): string | number {
  return typeof value === 'string' ? escapeString(value).replace(/"/g, '\\"') : value
}

export function valueString(value: number): string {
  if (Number.isNaN(value)) return 'Nan'
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf'
  return `${value}`
}

/** `{name="value",…}` in the object's own key order, or '' without labels, as prom-client writes it. */
export function formatLabelBlock(labels: Readonly<Record<string, string | number>>): string {
  const pairs: string[] = []
  for (const [name, value] of Object.entries(labels)) pairs.push(`${name}="${escapeLabelValue(value)}"`)
  return pairs.length > 0 ? `{${pairs.join(',')}}` : ''
}

/**
 * The `# HELP` and `# TYPE` lines of a family, and the name its samples take, in either format.
 * OpenMetrics names a counter family without `_total` and its samples with it; the text format names
 * both as the counter is registered.
 */
export function familyHeader(
  family: { name: string; help: string; type: string },
  openMetrics: boolean,
): { sampleName: string; header: string } {
  const counter = family.type === 'counter'
  const name = escapeString(openMetrics && counter ? family.name.replace(/_total$/, '') : family.name)
  const sampleName = openMetrics && counter ? `${name}_total` : name
  return { sampleName, header: `# HELP ${name} ${escapeString(family.help)}\n# TYPE ${name} ${family.type}` }
}
