import type { Gauge } from 'prom-client'
import { type RecordOutcome, SeriesTable } from './series-table.js'

export interface SeriesLimits {
  alertTtlSeconds: number
  maxSeries: number
}

interface RemovableSeries<L> {
  remove(labels: L): void
}

export interface TrackedSeriesOptions<L> {
  limits: SeriesLimits
  /** A string key for a label set, and back: the table is keyed by strings. */
  keyOf: (labels: L) => string
  labelsOf: (key: string) => L
  /** Series of the latest value, removed when the TTL passes (QPS, utilisation). */
  current: RemovableSeries<L>[]
  /** Series kept while the key is tracked (counter, limit, last-alert time). */
  kept: RemovableSeries<L>[]
  /** The gauge that shows how many keys are tracked. */
  tracked: Gauge
}

/** Binds a SeriesTable to the metrics it governs: expiry and eviction remove the right series. */
export function createTrackedSeries<L>(options: TrackedSeriesOptions<L>) {
  const { current, kept, labelsOf } = options
  const table = new SeriesTable<string>({
    ttlMs: options.limits.alertTtlSeconds * 1000,
    maxEntries: options.limits.maxSeries,
    onExpire: (key) => {
      const labels = labelsOf(key)
      for (const metric of current) metric.remove(labels)
    },
    onForget: (key) => {
      const labels = labelsOf(key)
      for (const metric of [...current, ...kept]) metric.remove(labels)
    },
  })
  const updateTracked = () => options.tracked.set(table.size)
  updateTracked()

  return {
    /** Notes an alert; `write` sets the series unless the alert was dropped at the cap. */
    record(labels: L, nowMs: number, write: () => void): RecordOutcome {
      const outcome = table.record(options.keyOf(labels), nowMs)
      if (outcome === 'dropped') return outcome
      write()
      updateTracked()
      return outcome
    },
    sweep(nowMs: number): void {
      table.sweep(nowMs)
      updateTracked()
    },
    get size(): number {
      return table.size
    },
  }
}
