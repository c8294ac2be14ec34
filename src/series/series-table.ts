/**
 * The lifecycle of tracked series (docs/metrics.md, "The series cap"), independent of metrics:
 *
 * - a key is tracked from its first alert and is "live" for `ttlMs` after each alert;
 * - when the TTL passes without a new alert the key expires (`onExpire`: its current-value series go)
 *   but stays tracked, so its counter, limit and last-alert time survive;
 * - at most `maxEntries` keys are tracked; a new key evicts the least recently alerted expired key
 *   (`onForget`: all its series go), and when every key is live the new key is dropped.
 *
 * Live and expired keys are each kept in a list in order of their last alert, so expiry and eviction
 * only ever look at the front: O(1) amortised per alert or sweep. The lists are linked through the
 * keys' entries: an alert moves its entry to the back of the live list by relinking it, where deleting
 * and re-inserting a Map key on every alert left the Map's table to be compacted again and again.
 * A sweep before the earliest possible expiry returns at once (it runs on every alert).
 */
export interface SeriesTableOptions<K> {
  ttlMs: number
  maxEntries: number
  onExpire: (key: K) => void
  onForget: (key: K) => void
}

export type RecordOutcome = 'new' | 'updated' | 'dropped'

/** A tracked key, linked into the live or the expired list. */
interface Entry<K> {
  readonly key: K
  lastMs: number
  live: boolean
  prev: Entry<K> | undefined
  next: Entry<K> | undefined
}

/** A list of entries in order of their last alert, oldest first. */
class EntryList<K> {
  first: Entry<K> | undefined
  last: Entry<K> | undefined
  size = 0

  append(entry: Entry<K>): void {
    entry.prev = this.last
    entry.next = undefined
    if (this.last === undefined) this.first = entry
    else this.last.next = entry
    this.last = entry
    this.size++
  }

  remove(entry: Entry<K>): void {
    if (entry.prev === undefined) this.first = entry.next
    else entry.prev.next = entry.next
    if (entry.next === undefined) this.last = entry.prev
    else entry.next.prev = entry.prev
    entry.prev = undefined
    entry.next = undefined
    this.size--
  }
}

export class SeriesTable<K> {
  readonly #entries = new Map<K, Entry<K>>()
  readonly #live = new EntryList<K>()
  readonly #expired = new EntryList<K>()
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
    return this.#entries.size
  }

  /** How many keys are within their TTL. */
  get liveSize(): number {
    return this.#live.size
  }

  has(key: K): boolean {
    return this.#entries.has(key)
  }

  /** Notes an alert for `key` at `nowMs`. The caller updates the key's series unless it was dropped. */
  record(key: K, nowMs: number): RecordOutcome {
    this.sweep(nowMs)
    const entry = this.#entries.get(key)
    if (entry !== undefined) {
      if (entry.live) this.#live.remove(entry)
      else this.#expired.remove(entry)
      this.#addLive(entry, nowMs)
      return 'updated'
    }
    if (this.#entries.size >= this.#options.maxEntries) {
      const oldest = this.#expired.first
      if (oldest === undefined) return 'dropped'
      this.#expired.remove(oldest)
      this.#entries.delete(oldest.key)
      this.#options.onForget(oldest.key)
    }
    const added: Entry<K> = { key, lastMs: nowMs, live: true, prev: undefined, next: undefined }
    this.#entries.set(key, added)
    this.#addLive(added, nowMs)
    return 'new'
  }

  #addLive(entry: Entry<K>, nowMs: number): void {
    if (this.#live.size === 0) this.#sweepFromMs = nowMs + this.#options.ttlMs
    entry.lastMs = nowMs
    entry.live = true
    this.#live.append(entry)
  }

  /** Expires every key whose last alert is more than the TTL before `nowMs`. */
  sweep(nowMs: number): void {
    if (nowMs <= this.#sweepFromMs) return
    for (;;) {
      const oldest = this.#live.first
      if (oldest === undefined) {
        this.#sweepFromMs = Number.POSITIVE_INFINITY
        return
      }
      if (nowMs - oldest.lastMs <= this.#options.ttlMs) {
        this.#sweepFromMs = oldest.lastMs + this.#options.ttlMs
        return
      }
      this.#live.remove(oldest)
      oldest.live = false
      this.#expired.append(oldest)
      this.#options.onExpire(oldest.key)
    }
  }
}
