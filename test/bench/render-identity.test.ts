import fc from 'fast-check'
import { Counter, Gauge, Histogram, type OpenMetricsContentType, Registry, Summary } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { renderMetrics } from '../../src/metrics/render-metrics.js'

/**
 * The exporter renders /metrics itself for speed (see BENCHMARKS.md). Its output must stay byte for byte
 * what prom-client 15 renders, in both formats, whatever the names, help texts, label values and numbers.
 */
interface Series {
  labels: Record<string, string>
  value: number
}
interface Spec {
  help: string
  counter: Series[]
  gauge: Series[]
  plainGauge: number
  observations: number[]
}

const labelValue = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('a\\b', 'line\nbreak', 'quote"d', '\\"\n', '', 'v4/openim/batchsendmsg'),
)
const number = fc.oneof(
  fc.double({ noNaN: false }),
  fc.integer({ min: -1e6, max: 1e6 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e21, 5e-7),
)
const series = fc.array(fc.record({ labels: fc.record({ a: labelValue, b: labelValue }), value: number }), {
  maxLength: 6,
})
const spec: fc.Arbitrary<Spec> = fc.record({
  help: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constant('with \\ and\nnewline')),
  counter: series,
  gauge: series,
  plainGauge: number,
  observations: fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { maxLength: 5 }),
})

/** Builds the same registry twice over: one for prom-client to render, one for the exporter. */
function build(s: Spec): Registry {
  const registry = new Registry()
  const registers = [registry]
  const counter = new Counter({ name: 'x_events_total', help: s.help, labelNames: ['a', 'b'], registers })
  for (const { labels, value } of s.counter) counter.inc(labels, Number.isFinite(value) ? Math.abs(value) : 1)
  new Counter({ name: 'x_unlabelled_total', help: 'Plain.', registers }).inc()
  new Counter({
    name: 'x_never',
    help: 'No samples: _total-less counter name.',
    labelNames: ['a'],
    registers,
  })
  const gauge = new Gauge({ name: 'x_level', help: s.help, labelNames: ['b', 'a'], registers })
  for (const { labels, value } of s.gauge) gauge.set(labels, value)
  new Gauge({ name: 'x_plain', help: 'Plain gauge.', registers }).set(s.plainGauge)
  new Gauge({
    name: 'x_collected',
    help: 'Set by collect().',
    registers,
    collect() {
      this.set(s.plainGauge)
    },
  })
  const histogram = new Histogram({
    name: 'x_seconds',
    help: 'Time.',
    labelNames: ['a'],
    buckets: [0.5, 2],
    registers,
  })
  for (const v of s.observations) histogram.observe({ a: 'h' }, v)
  const summary = new Summary({ name: 'x_size', help: 'Size.', percentiles: [0.5], registers })
  for (const v of s.observations) summary.observe(v)
  return registry
}

async function promClientOpenMetrics(s: Spec): Promise<string> {
  const registry = build(s) as unknown as Registry<OpenMetricsContentType>
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
  return registry.metrics()
}

describe('the exporter renders /metrics exactly as prom-client does', () => {
  it('in the Prometheus text format', async () => {
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        const expected = await build(s).metrics()
        expect((await renderMetrics(build(s), 'text', false)).body).toBe(expected)
      }),
      { numRuns: 200 },
    )
  })

  it('in OpenMetrics, and a text scrape after it is unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        const registry = build(s)
        const textBefore = await registry.metrics()
        expect((await renderMetrics(registry, 'openmetrics', false)).body).toBe(
          await promClientOpenMetrics(s),
        )
        expect((await renderMetrics(registry, 'text', false)).body).toBe(textBefore)
      }),
      { numRuns: 200 },
    )
  })

  it('again after series change, are removed and come back (the label cache follows)', async () => {
    const registry = new Registry()
    const gauge = new Gauge({ name: 'y', help: 'Y.', labelNames: ['a'], registers: [registry] })
    const labels = { a: 'one' }
    gauge.set(labels, 1)
    await renderMetrics(registry, 'text', false)
    gauge.set(labels, 2)
    gauge.set({ a: 'two"' }, 3)
    expect((await renderMetrics(registry, 'text', false)).body).toBe(await registry.metrics())
    gauge.remove(labels)
    expect((await renderMetrics(registry, 'text', false)).body).toBe(await registry.metrics())
    gauge.set({ a: 'one' }, 4)
    expect((await renderMetrics(registry, 'text', false)).body).toBe(await registry.metrics())
  })
})

describe('a large exposition', () => {
  function large(): Registry {
    const registry = new Registry()
    const gauge = new Gauge({ name: 'z_level', help: 'Z.', labelNames: ['api'], registers: [registry] })
    const counter = new Counter({
      name: 'z_alerts_total',
      help: 'Z.',
      labelNames: ['api'],
      registers: [registry],
    })
    for (let i = 0; i < 6000; i++) {
      gauge.set({ api: `v4/svc/cmd_${i}` }, i / 7)
      counter.inc({ api: `v4/svc/cmd_${i}` }, i)
    }
    return registry
  }

  it('is still byte-identical in both formats when rendered in slices', async () => {
    const registry = large()
    expect((await renderMetrics(registry, 'text', false)).body).toBe(await large().metrics())
    const openMetrics = large() as unknown as Registry<OpenMetricsContentType>
    openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
    expect((await renderMetrics(registry, 'openmetrics', false)).body).toBe(await openMetrics.metrics())
  })

  it('lets other work run on the event loop while it renders', async () => {
    const registry = large()
    let renderDone = false
    let ranDuringRender = false
    const rendering = renderMetrics(registry, 'text', false).then(() => {
      renderDone = true
    })
    setImmediate(() => {
      ranDuringRender = !renderDone
    })
    await rendering
    expect(ranDuringRender).toBe(true)
  })
})
