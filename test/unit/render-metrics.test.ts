import { gunzipSync } from 'node:zlib'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { OPENMETRICS_TEXT, PROMETHEUS_TEXT, renderMetrics } from '../../src/metrics/render-metrics.js'

function sampleRegistry() {
  const registry = new Registry()
  new Counter({
    name: 'demo_events_total',
    help: 'Events.',
    labelNames: ['kind'],
    registers: [registry],
  }).inc({ kind: 'a' }, 3)
  new Gauge({ name: 'demo_level', help: 'Level.', registers: [registry] }).set(1.5)
  new Histogram({ name: 'demo_seconds', help: 'Time.', buckets: [1], registers: [registry] }).observe(0.5)
  return registry
}

describe('renderMetrics', () => {
  it('renders the Prometheus text format with its exact content type', async () => {
    const rendered = await renderMetrics(sampleRegistry(), 'text', false)
    expect(rendered.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(rendered.contentType).toBe(PROMETHEUS_TEXT)
    expect(rendered.body.toString()).toContain(
      '# TYPE demo_events_total counter\ndemo_events_total{kind="a"} 3',
    )
  })

  it('renders OpenMetrics with counter families named without _total and a closing # EOF', async () => {
    const rendered = await renderMetrics(sampleRegistry(), 'openmetrics', false)
    expect(rendered.contentType).toBe(OPENMETRICS_TEXT)
    const body = rendered.body.toString()
    expect(body).toContain('# TYPE demo_events counter\ndemo_events_total{kind="a"} 3')
    expect(body).toContain('demo_seconds_bucket{le="1"} 1')
    expect(body.endsWith('# EOF\n')).toBe(true)
  })

  it('leaves the registry untouched: a text scrape after OpenMetrics is byte-identical to one before', async () => {
    const registry = sampleRegistry()
    const before = await registry.metrics()
    await renderMetrics(registry, 'openmetrics', false)
    await renderMetrics(registry, 'openmetrics', true)
    expect((await renderMetrics(registry, 'text', false)).body.toString()).toBe(before)
    expect(await registry.metrics()).toBe(before)
  })

  it('stays correct when scrapes of both formats overlap', async () => {
    const registry = sampleRegistry()
    const before = await registry.metrics()
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => renderMetrics(registry, i % 2 ? 'openmetrics' : 'text', false)),
    )
    for (const [i, rendered] of results.entries()) {
      if (i % 2 === 0) expect(rendered.body.toString()).toBe(before)
      else expect(rendered.body.toString()).toContain('# TYPE demo_events counter')
    }
  })

  it('gzips on request', async () => {
    const registry = sampleRegistry()
    const rendered = await renderMetrics(registry, 'text', true)
    expect(rendered.contentEncoding).toBe('gzip')
    expect(gunzipSync(rendered.body).toString()).toBe(await registry.metrics())
  })
})

describe('renderMetrics output bytes', () => {
  it('encodes non-ASCII help and label values as UTF-8, also past the size of the previous exposition', async () => {
    const registry = new Registry()
    const gauge = new Gauge({
      name: 'demo_utf8',
      help: 'Größe 你好 🙂.',
      labelNames: ['v'],
      registers: [registry],
    })
    gauge.set({ v: 'é' }, 1)
    expect((await renderMetrics(registry, 'text', false)).body.toString()).toBe(await registry.metrics())
    // The next exposition is written into a buffer sized from this one: make it much larger.
    for (let i = 0; i < 5000; i++) gauge.set({ v: `值_${i}_${'x'.repeat(i % 50)}` }, i)
    const body = (await renderMetrics(registry, 'text', false)).body
    expect(body.toString()).toBe(await registry.metrics())
    expect(body.length).toBe(Buffer.byteLength(await registry.metrics()))
  })
})
