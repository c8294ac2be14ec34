/** One sample of a Prometheus text exposition. */
export interface Sample {
  labels: Record<string, string>
  value: number
}

const LABEL = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Every sample of the family `name` (exactly that name: no `_bucket`, `_sum` of another). */
export function samplesOf(exposition: string, name: string): Sample[] {
  const found: Sample[] = []
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue
    const labelText = line.startsWith(`${name}{`) ? line.slice(name.length + 1, line.lastIndexOf('}')) : ''
    const labels: Record<string, string> = {}
    for (const [, key, value] of labelText.matchAll(LABEL)) {
      labels[key as string] = (value as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    }
    found.push({ labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) })
  }
  return found
}

/** The samples of `name` whose labels include `labels`. */
export function matching(samples: Sample[], labels: Record<string, string>): Sample[] {
  return samples.filter((sample) =>
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  )
}

/** `/metrics` of an exporter, as text. */
export async function scrape(metricsUrl: string): Promise<string> {
  const response = await fetch(`${metricsUrl}/metrics`)
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`)
  return response.text()
}

/** `<servicename>/<command>` of a REST sample's labels. */
export const apiOf = (labels: Record<string, string>) => `${labels.service_name}/${labels.command}`
