/**
 * The lifecycle of tracked series (SPEC §3, "Series lifecycle and the cap"), independent of metrics:
 *
 * - a key is tracked from its first alert and is "live" for `ttlMs` after each alert;
 * - when the TTL passes without a new alert the key expires (`onExpire`: its current-value series go)
 *   but stays tracked, so its counter, limit and last-alert time survive;
 * - at most `maxEntries` keys are tracked; a new key evicts the least recently alerted expired key
 *   (`onForget`: all its series go), and when every key is live the new key is dropped.
 *
 * Both maps keep keys in order of their last alert (a Map iterates in insertion order and a new alert
 * re-inserts), so expiry and eviction only ever look at the front: O(1) amortised per alert or sweep.
 * A sweep before the earliest possible expiry returns at once, without touching the maps (it runs on
 * every alert).
 */
export interface SeriesTableOptions<K> {
  ttlMs: number
  maxEntries: number
  onExpire: (key: K) => void
  onForget: (key: K) => void
}

export type RecordOutcome = 'new' | 'updated' | 'dropped'

export class SeriesTable<K> {
  readonly #live = new Map<K, number>()
  readonly #expired = new Map<K, number>()
  readonly #options: SeriesTableOptions<K>
  /**
   * No live key expires before this time: the oldest live key's last alert plus the TTL when it was
   * last computed (keys alerted since only expire later), Infinity while nothing is live.
   */
  #sweepFromMs = Number.POSITIVE_INFINITY

  constructor(options: SeriesTableOptions<K>) {
    this.#options = options
  }

  /** How many keys are tracked, live or expired. */
  get size(): number {
    return this.#live.size + this.#expired.size
  }

  /** How many keys are within their TTL. */
  get liveSize(): number {
    return this.#live.size
  }

  has(key: K): boolean {
    return this.#live.has(key) || this.#expired.has(key)
  }

  /** Notes an alert for `key` at `nowMs`. The caller updates the key's series unless it was dropped. */
  record(key: K, nowMs: number): RecordOutcome {
    this.sweep(nowMs)
    if (this.#live.delete(key)) {
      this.#live.set(key, nowMs)
      return 'updated'
    }
    if (this.#expired.delete(key)) {
      this.#addLive(key, nowMs)
      return 'updated'
    }
    if (this.size >= this.#options.maxEntries) {
      const oldest = firstKey(this.#expired)
      if (oldest === undefined) return 'dropped'
      this.#expired.delete(oldest.key)
      this.#options.onForget(oldest.key)
    }
    this.#addLive(key, nowMs)
    return 'new'
  }

  #addLive(key: K, nowMs: number): void {
    if (this.#live.size === 0) this.#sweepFromMs = nowMs + this.#options.ttlMs
    this.#live.set(key, nowMs)
  }

  /** Expires every key whose last alert is more than the TTL before `nowMs`. */
  sweep(nowMs: number): void {
    if (nowMs <= this.#sweepFromMs) return
    for (;;) {
      const oldest = firstKey(this.#live)
      if (oldest === undefined) {
        this.#sweepFromMs = Number.POSITIVE_INFINITY
        return
      }
      if (nowMs - oldest.lastMs <= this.#options.ttlMs) {
        this.#sweepFromMs = oldest.lastMs + this.#options.ttlMs
        return
      }
      this.#live.delete(oldest.key)
      this.#expired.set(oldest.key, oldest.lastMs)
      this.#options.onExpire(oldest.key)
    }
  }
}

function firstKey<K>(map: Map<K, number>): { key: K; lastMs: number } | undefined {
  for (const [key, lastMs] of map) return { key, lastMs }
  return undefined
}
