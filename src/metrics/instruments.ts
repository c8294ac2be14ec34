import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { FamilyDefinition } from './catalog.js'

type Definition<T extends FamilyDefinition['type'], L extends string> = FamilyDefinition & {
  readonly type: T
  readonly labelNames: readonly L[]
}

/** A prom-client Counter for a catalog family, registered on `registry`. */
export function counterOf<L extends string>(definition: Definition<'counter', L>, registry: Registry) {
  const { name, help, labelNames } = definition
  return new Counter<L>({ name, help, labelNames, registers: [registry] })
}

/**
 * A prom-client Gauge for a catalog family, registered on `registry`. `collect` runs before each scrape
 * reads the gauge: for a value read from elsewhere (a count, a setting) rather than set as it changes.
 */
export function gaugeOf<L extends string>(
  definition: Definition<'gauge', L>,
  registry: Registry,
  collect?: (gauge: Gauge<L>) => void,
) {
  const { name, help, labelNames } = definition
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    ...(collect && {
      collect(this: Gauge<L>) {
        collect(this)
      },
    }),
  })
}

/** A prom-client Histogram for a catalog family, with the family's buckets, registered on `registry`. */
export function histogramOf<L extends string>(definition: Definition<'histogram', L>, registry: Registry) {
  const { name, help, labelNames, buckets } = definition
  return new Histogram<L>({ name, help, labelNames, buckets: buckets && [...buckets], registers: [registry] })
}
