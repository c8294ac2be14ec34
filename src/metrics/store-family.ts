import type { Metric, Registry } from 'prom-client'
import type { Presence, SeriesStore, StoredRecord } from '../series/series-store.js'
import type { FamilyDefinition } from './catalog.js'
import { formatLabelBlock, valueString } from './exposition-text.js'
import type { ExpositionWriter } from './exposition-writer.js'
import type { SelfWritingFamily } from './sample-writer.js'

/**
 * What the exposition keeps on a record: its label block, formatted once for the record's life, and its
 * values as text, formatted at the first scrape after each change (`version`): a scrape of 2,000 tracked
 * APIs formats only what changed since the last one. Kept on the record under a symbol of this module's,
 * which the series know nothing of.
 */
interface ExpositionText {
  labelBlock: string
  /** Whether the label block is ASCII, and so can be written one byte per character. */
  ascii: boolean
  version: number
  values: Array<string | undefined>
}

const TEXT = Symbol('exposition text')
type WithText = StoredRecord & { [TEXT]?: ExpositionText }

/** The longest rope of sample lines written at once: well under V8's 128 KiB large-object threshold. */
const ROPE_CHARS = 64 * 1024
const ASCII = /^[\x20-\x7e]*$/

/**
 * A counter or gauge family whose samples are records of a series store (src/series): the alarm series
 * of tracked APIs and apps. Five prom-client metrics per API hashed the labels on every alert and
 * formatted them on every scrape; here an alert changes numbers on one record, and a scrape writes the
 * records of the family's presence with their label blocks formatted once.
 *
 * The families of one store are registered together, in the order given: each family's position is its
 * place in a record's cache of value texts.
 */
export function registerStoreFamilies<R extends StoredRecord>(
  registry: Registry,
  store: SeriesStore<R>,
  families: ReadonlyArray<StoreFamilySpec<R>>,
): SelfWritingFamily[] {
  return families.map((spec, index) => registerStoreFamily(registry, store, spec, index))
}

export interface StoreFamilySpec<R> {
  definition: FamilyDefinition & { type: 'counter' | 'gauge' }
  /** Which records the family shows (src/series/series-store.ts). */
  presence: Presence
  value: (record: R) => number
}

function registerStoreFamily<R extends StoredRecord>(
  registry: Registry,
  store: SeriesStore<R>,
  spec: StoreFamilySpec<R>,
  index: number,
): SelfWritingFamily {
  const { name, help, type } = spec.definition
  if (type === 'counter' && !name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`)
  const members = store.members(spec.presence)
  const { value } = spec

  const family: SelfWritingFamily = {
    name,
    help,
    type,
    aggregator: 'sum',
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
        let ascii = true
        for (; next < end; next++) {
          const record = records[next] as R & WithText
          const cached = textOf(record)
          let valueText = cached.values[index]
          if (valueText === undefined) {
            valueText = valueString(value(record))
            cached.values[index] = valueText
          }
          ascii &&= cached.ascii
          text += `${prefix}${cached.labelBlock} ${valueText}`
          if (text.length >= ROPE_CHARS) {
            write(out, text, ascii)
            text = ''
            ascii = true
          }
        }
        write(out, text, ascii)
        return end - from
      }
    },
    async get() {
      const values = Array.from(members.values(), (record) => ({
        value: value(record),
        labels: { ...record.labels },
      }))
      return { name, help, type, aggregator: 'sum' as const, values }
    },
  }
  // prom-client's registry needs only `name`, `type` and `get()` of a metric.
  registry.registerMetric(family as unknown as Metric)
  return family
}

function textOf(record: StoredRecord & WithText): ExpositionText {
  let text = record[TEXT]
  if (text === undefined) {
    const labelBlock = formatLabelBlock(record.labels)
    text = { labelBlock, ascii: ASCII.test(labelBlock), version: record.version, values: [] }
    record[TEXT] = text
  } else if (text.version !== record.version) {
    text.version = record.version
    text.values = []
  }
  return text
}

function write(out: ExpositionWriter, text: string, ascii: boolean): void {
  if (ascii) out.writeAscii(text)
  else out.writeText(text)
}
