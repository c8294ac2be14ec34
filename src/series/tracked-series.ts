import type { Gauge } from 'prom-client'
import type { SeriesStore, StoredRecord } from './series-store.js'
import { type RecordOutcome, SeriesTable } from './series-table.js'

export interface SeriesLimits {
  alertTtlSeconds: number
  maxSeries: number
}

export interface TrackedSeriesOptions<R extends StoredRecord> {
  limits: SeriesLimits
  /** The records and their families. */
  store: SeriesStore<R>
  /** The gauge that shows how many keys are tracked. */
  tracked: Gauge
}

/** Binds a SeriesTable to the store it governs: expiry and eviction remove the right samples. */
export function createTrackedSeries<R extends StoredRecord>(options: TrackedSeriesOptions<R>) {
  const { store } = options
  const table = new SeriesTable<string>({
    ttlMs: options.limits.alertTtlSeconds * 1000,
    maxEntries: options.limits.maxSeries,
    onExpire: (key) => store.expire(key),
    onForget: (key) => store.forget(key),
  })
  const updateTracked = () => options.tracked.set(table.size)
  updateTracked()

  return {
    /**
     * Notes an alert for `key` in the table. Unless it was dropped at the cap, the caller then updates the
     * key's record (`store.get(key)`, or a new one) and hands it to `store.alerted`.
     */
    admit(key: string, nowMs: number): RecordOutcome {
      const outcome = table.record(key, nowMs)
      // Only a new key changes the count: an eviction makes room for it, and expiry keeps keys tracked.
      if (outcome === 'new') updateTracked()
      return outcome
    },
    sweep(nowMs: number): void {
      table.sweep(nowMs)
    },
    /** Whether `key` is within its TTL, as of the latest record or sweep. */
    isLive: (key: string) => store.isLive(key),
    get size(): number {
      return table.size
    },
  }
}
