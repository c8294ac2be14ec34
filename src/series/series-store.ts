/** One tracked label set (an API of an app, or an app) and its numbers. */
export interface StoredRecord {
  /** The record's label set, fixed for its life, in the order the exposition shows it. */
  readonly labels: Readonly<Record<string, string>>
  /**
   * Bumped by the store at every change of the record's numbers (`SeriesStore.alerted`): a reader that
   * keeps text made from them (the exposition's formatted values) knows when to make it again.
   */
  version: number
  /**
   * Which of the store's presences show the record now (KEPT, LIVE, RATIO bits), kept by the store so
   * that an alert needs no lookup to know it: 0 for a record the store has not seen.
   */
  shown: number
}

const KEPT = 1
const LIVE = 2
const RATIO = 4

/**
 * When a record's numbers are shown:
 * - `kept`: from the first alert until the record is forgotten (counter, limit, last-alert time);
 * - `live`: from each alert until the TTL passes (QPS, net increase);
 * - `ratio`: while live and its denominator is not 0 (utilisation).
 */
export type Presence = 'kept' | 'live' | 'ratio'

export interface SeriesStoreOptions<R> {
  /** Whether the record's ratio is defined (its denominator is not 0): the `ratio` presence shows it. */
  hasRatio: (record: R) => boolean
  /** Told of a record the store forgets (evicted), e.g. to drop it from an index of the owner's. */
  onForget?: (record: R) => void
}

/**
 * The records of tracked series by key, and which of them each presence shows.
 *
 * Each presence keeps its own insertion order: a record keeps its place while it is alerted again, and
 * goes to the end when it comes back after leaving (expired, then alerted), as a labelled prom-client
 * metric orders its samples, so that the exposition reads the same as one. A record is only changed in
 * place by its owner (api-series, group-quota-series); the store never copies it.
 */
export class SeriesStore<R extends StoredRecord> {
  readonly #kept = new Map<string, R>()
  readonly #live = new Map<string, R>()
  readonly #ratio = new Map<string, R>()
  readonly #hasRatio: (record: R) => boolean
  readonly #onForget: ((record: R) => void) | undefined

  constructor(options: SeriesStoreOptions<R>) {
    this.#hasRatio = options.hasRatio
    this.#onForget = options.onForget
  }

  /** How many records are tracked. */
  get size(): number {
    return this.#kept.size
  }

  get(key: string): R | undefined {
    return this.#kept.get(key)
  }

  isLive(key: string): boolean {
    return ((this.#kept.get(key)?.shown ?? 0) & LIVE) !== 0
  }

  /** The records a presence shows now, in its order. */
  members(presence: Presence): ReadonlyMap<string, R> {
    return presence === 'kept' ? this.#kept : presence === 'live' ? this.#live : this.#ratio
  }

  /**
   * The record of `key` was updated by an alert (a new record is added): it is live, with or without a
   * ratio, and its version moves on. Every change of a record's numbers goes through here. The record's
   * `shown` bits say where it is already: no lookups.
   */
  alerted(key: string, record: R): void {
    record.version++
    const shown = record.shown
    if ((shown & KEPT) === 0) this.#kept.set(key, record)
    if ((shown & LIVE) === 0) this.#live.set(key, record)
    const ratio = this.#hasRatio(record)
    if (!ratio) {
      if ((shown & RATIO) !== 0) this.#ratio.delete(key)
    } else if ((shown & RATIO) === 0) this.#ratio.set(key, record)
    record.shown = KEPT | LIVE | (ratio ? RATIO : 0)
  }

  /** The TTL passed: the live and ratio presences let the record go, the kept one keeps it. */
  expire(key: string): void {
    const record = this.#kept.get(key)
    if (record !== undefined) record.shown &= KEPT
    this.#live.delete(key)
    this.#ratio.delete(key)
  }

  /** Evicted: the record goes from every presence. */
  forget(key: string): void {
    const record = this.#kept.get(key)
    this.#kept.delete(key)
    this.#live.delete(key)
    this.#ratio.delete(key)
    if (record === undefined) return
    record.shown = 0
    this.#onForget?.(record)
  }

  /** Every tracked record with its key, in the order of the kept presence. */
  entries(): IterableIterator<[string, R]> {
    return this.#kept.entries()
  }
}
