import type { Metric, Registry } from 'prom-client'
import type { ExpositionWriter } from './exposition-writer.js'

/**
 * A counter or gauge family that keeps its own samples and writes them itself, registered on
 * prom-client's registry beside prom-client's metrics. The exporter's API and group-quota series are
 * such families (src/series): records of numbers whose label block is formatted once, when the series
 * is created, instead of five labelled prom-client metrics hashing the labels on every alert and
 * formatting them on every scrape.
 *
 * `sampleWriter` serves `/metrics` (src/metrics/render-metrics.ts); `get` is prom-client's interface
 * (`registry.metrics()`, `getMetricsAsJSON()`, `getSingleMetric(name).get()`), so that the family
 * reads the same through either.
 */
export interface DirectFamily {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge'
  readonly aggregator: 'sum'
  /** How many samples the family has now. */
  readonly size: number
  /**
   * The family's samples as of now, to be written in slices: each call of the returned function writes
   * up to `max` more samples as `\n<name><label block> <value>`, ASCII only, in the order prom-client
   * would hold them, and returns how many it wrote (fewer than `max` once all are written). A counter's
   * name ends in `_total`, so that its samples read the same in the text format and in OpenMetrics.
   *
   * The label sets are those of the moment `sampleWriter()` is called, so that a family written over
   * several turns of the event loop (callbacks answered in between) shows each label set once, even if
   * an alert or a sweep moves it meanwhile; each value is read when its slice is written.
   */
  sampleWriter(): (out: ExpositionWriter, max: number) => number
  get(): Promise<{
    name: string
    help: string
    type: 'counter' | 'gauge'
    aggregator: 'sum'
    values: Array<{ value: number; labels: Record<string, string> }>
  }>
}

export function isDirectFamily(metric: object): metric is DirectFamily {
  return typeof (metric as Partial<DirectFamily>).sampleWriter === 'function'
}

/** Registers a direct family; prom-client's registry only needs `name`, `type` and `get()` of it. */
export function registerDirectFamily(registry: Registry, family: DirectFamily): void {
  registry.registerMetric(family as unknown as Metric)
}

// The escaping and number formatting of prom-client 15 (lib/registry.js, lib/util.js), kept identical.
export function escapeString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

export function escapeLabelValue(value: string | number): string | number {
  return typeof value === 'string' ? escapeString(value).replace(/"/g, '\\"') : value
}

export function valueString(value: number): string {
  if (Number.isNaN(value)) return 'Nan'
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf'
  return `${value}`
}

/** `{name="value",…}` in the object's own key order, or '' without labels, as prom-client writes it. */
export function formatLabelBlock(labels: Record<string, string | number>): string {
  const pairs: string[] = []
  for (const [name, value] of Object.entries(labels)) pairs.push(`${name}="${escapeLabelValue(value)}"`)
  return pairs.length > 0 ? `{${pairs.join(',')}}` : ''
}
