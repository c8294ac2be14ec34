import type { ExpositionWriter } from './exposition-writer.js'

/**
 * Writes a family's samples in slices: each call writes up to `max` more samples as
 * `\n<name><label block> <value>` and returns how many it wrote (fewer than `max` once all are written).
 * The samples are those of the moment the writer was made, so that a family written over several turns
 * of the event loop (callbacks answered in between) shows each label set once.
 */
export type SampleWriter = (out: ExpositionWriter, max: number) => number

/**
 * A family that keeps its own samples and writes them itself (src/metrics/store-family.ts), registered
 * on prom-client's registry beside prom-client's metrics. `get()` is prom-client's interface
 * (`registry.getMetricsAsJSON()`, `getSingleMetric(name).get()`), so that the family reads the same
 * through either.
 */
export interface SelfWritingFamily {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge'
  readonly aggregator: 'sum'
  /** The family's samples as of now. A counter's samples are named with `_total` in either format. */
  sampleWriter(): SampleWriter
  get(): Promise<{
    name: string
    help: string
    type: 'counter' | 'gauge'
    aggregator: 'sum'
    values: Array<{ value: number; labels: Record<string, string> }>
  }>
}

export function isSelfWriting(metric: object): metric is SelfWritingFamily {
  return typeof (metric as Partial<SelfWritingFamily>).sampleWriter === 'function'
}
