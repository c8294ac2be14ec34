import { type DirectFamily, valueString } from '../metrics/direct-family.js'

/** One tracked label set (an API of an app, or an app): its numbers, and its label block formatted once. */
export interface StoredRecord {
  /** `{name="value",…}` as prom-client would write the label set; ASCII only (SPEC §3 label values). */
  readonly labelBlock: string
  /**
   * The record's sample values by family as text, formatted when first written and kept until the record
   * next changes (`SeriesStore.alerted`): a scrape does not format its ratios and timestamps again.
   */
  texts: Array<string | undefined> | undefined
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
 * When a family shows a record's sample, as the prom-client metric it replaces held it:
 * - `kept`: from the first alert until the record is forgotten (counter, limit, last-alert time);
 * - `live`: from each alert until the TTL passes (QPS, net increase);
 * - `ratio`: while live and its denominator is not 0 (utilisation).
 */
export type Presence = 'kept' | 'live' | 'ratio'

export interface FamilySpec<R> {
  name: string
  help: string
  type: 'counter' | 'gauge'
  presence: Presence
  value: (record: R) => number
}

export interface SeriesStoreOptions<R> {
  /** The label set of a record, in the order its label block shows it (for prom-client's `get()`). */
  labelsOf: (record: R) => Record<string, string>
  /** Whether the record's ratio is defined (its denominator is not 0): `ratio` families show it. */
  hasRatio: (record: R) => boolean
  /** The families, in the order they are registered and rendered. */
  families: FamilySpec<R>[]
  /** Told of a record the store forgets (evicted), e.g. to drop it from an index of the owner's. */
  onForget?: (record: R) => void
}

/**
 * The records of tracked series by key, and the families that render them.
 *
 * Each presence keeps its own insertion order, the order of the prom-client metric it replaces (a
 * prom-client metric keeps a sample's place while it is set again, and appends it when it is set after
 * being removed): so that `/metrics` stays byte for byte what five prom-client metrics rendered.
 * A record is only changed in place by its owner (api-series, group-quota-series); the store never
 * copies it.
 */
export class SeriesStore<R extends StoredRecord> {
  readonly #kept = new Map<string, R>()
  readonly #live = new Map<string, R>()
  readonly #ratio = new Map<string, R>()
  readonly families: DirectFamily[]
  readonly #hasRatio: (record: R) => boolean
  readonly #onForget: ((record: R) => void) | undefined

  constructor(options: SeriesStoreOptions<R>) {
    this.#hasRatio = options.hasRatio
    this.#onForget = options.onForget
    const members: Record<Presence, Map<string, R>> = {
      kept: this.#kept,
      live: this.#live,
      ratio: this.#ratio,
    }
    this.families = options.families.map((spec, index) =>
      directFamily(spec, index, members[spec.presence], options.labelsOf),
    )
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

  /**
   * The record of `key` was updated by an alert (a new record is added): it is live, with or without a
   * ratio, and its sample values are formatted afresh at the next scrape. Every change of a record's
   * numbers goes through here. The record's `shown` bits say where it is already: no lookups.
   */
  alerted(key: string, record: R): void {
    record.texts = undefined
    const shown = record.shown
    if ((shown & KEPT) === 0) {
      if (!ASCII.test(record.labelBlock)) throw new Error(`label block is not ASCII: ${record.labelBlock}`)
      this.#kept.set(key, record)
    }
    if ((shown & LIVE) === 0) this.#live.set(key, record)
    const ratio = this.#hasRatio(record)
    if (!ratio) {
      if ((shown & RATIO) !== 0) this.#ratio.delete(key)
    } else if ((shown & RATIO) === 0) this.#ratio.set(key, record)
    record.shown = KEPT | LIVE | (ratio ? RATIO : 0)
  }

  /** The TTL passed: the live and ratio samples go, the kept ones stay. */
  expire(key: string): void {
    const record = this.#kept.get(key)
    if (record !== undefined) record.shown &= KEPT
    this.#live.delete(key)
    this.#ratio.delete(key)
  }

  /** Evicted: every sample of the record goes. */
  forget(key: string): void {
    const record = this.#kept.get(key)
    this.#kept.delete(key)
    this.#live.delete(key)
    this.#ratio.delete(key)
    if (record === undefined) return
    record.shown = 0
    this.#onForget?.(record)
  }

  /** Every tracked record with its key, in the order of the kept families. */
  entries(): IterableIterator<[string, R]> {
    return this.#kept.entries()
  }
}

/** The longest rope of sample lines written at once: well under V8's 128 KiB large-object threshold. */
const ROPE_CHARS = 64 * 1024
/** Label blocks are written as one byte per character (ExpositionWriter.writeAscii): checked once per record. */
const ASCII = /^[\x20-\x7e]*$/

function directFamily<R extends StoredRecord>(
  spec: FamilySpec<R>,
  index: number,
  members: Map<string, R>,
  labelsOf: (record: R) => Record<string, string>,
): DirectFamily {
  const { name, help, type, value } = spec
  if (type === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`)
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get size() {
      return members.size
    },
    sampleWriter() {
      // The members as of now: a record that leaves and comes back while the family is being written
      // (expired, then alerted again) would otherwise be met twice by the Map's iterator.
      const records = Array.from(members.values())
      const prefix = `\n${name}`
      let next = 0
      return (out, max) => {
        const from = next
        const end = Math.min(records.length, from + max)
        // Lines joined into ropes of up to ROPE_CHARS, each written in one go: a write per line would cost
        // more than the copy, and one rope for the whole family (240 KB at 2,000 APIs) cost 60% more to
        // write than ropes that stay in the young generation when V8 flattens them.
        let text = ''
        for (; next < end; next++) {
          const record = records[next] as R
          let texts = record.texts
          if (texts === undefined) {
            texts = []
            record.texts = texts
          }
          let valueText = texts[index]
          if (valueText === undefined) {
            valueText = valueString(value(record))
            texts[index] = valueText
          }
          text += `${prefix}${record.labelBlock} ${valueText}`
          if (text.length >= ROPE_CHARS) {
            out.writeAscii(text)
            text = ''
          }
        }
        out.writeAscii(text)
        return end - from
      }
    },
    async get() {
      const values = Array.from(members.values(), (record) => ({
        value: value(record),
        labels: labelsOf(record),
      }))
      return { name, help, type, aggregator: 'sum' as const, values }
    },
  }
}
