import type { SeriesStore, StoredRecord } from './series-store.js'
import { type RecordOutcome, SeriesTable } from './series-table.js'

export interface SeriesLimits {
  alertTtlSeconds: number
  maxSeries: number
}

export interface TrackedSeriesOptions<R extends StoredRecord> {
  limits: SeriesLimits
  /** The records and which of them are shown. */
  store: SeriesStore<R>
}

/** Binds a SeriesTable to the store it governs: expiry and eviction reach the store's presences. */
export function createTrackedSeries<R extends StoredRecord>(options: TrackedSeriesOptions<R>) {
  const { store } = options
  const table = new SeriesTable<string>({
    ttlMs: options.limits.alertTtlSeconds * 1000,
    maxEntries: options.limits.maxSeries,
    onExpire: (key) => store.expire(key),
    onForget: (key) => store.forget(key),
  })

  return {
    /**
     * Notes an alert for `key` in the table. Unless it was dropped at the cap, the caller then updates the
     * key's record (`store.get(key)`, or a new one) and hands it to `store.alerted`.
     */
    admit: (key: string, nowMs: number): RecordOutcome => table.record(key, nowMs),
    sweep: (nowMs: number): void => table.sweep(nowMs),
    /** Whether `key` is within its TTL, as of the latest record or sweep. */
    isLive: (key: string) => store.isLive(key),
    get size(): number {
      return table.size
    },
  }
}
