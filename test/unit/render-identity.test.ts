import fc from 'fast-check'
import { Counter, Gauge, Histogram, type OpenMetricsContentType, Registry, Summary } from 'prom-client'
import { describe, expect, it } from 'vitest'
import * as catalog from '../../src/metrics/catalog.js'
import { renderMetrics } from '../../src/metrics/render-metrics.js'
import type { GroupQuotaAlarm, RequestOverLimitAlert } from '../../src/protocol/payloads.js'
import { SeriesTable } from '../../src/series/series-table.js'
import type { SeriesLimits } from '../../src/series/tracked-series.js'
import { seriesWithMetrics } from '../helpers/exporter-metrics.js'

/**
 * The exporter writes /metrics itself (src/metrics/render-metrics.ts), for speed (see BENCHMARKS.md). Its output must stay byte for byte
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
        expect((await renderMetrics(build(s), 'text', false)).body.toString()).toBe(expected)
      }),
      { numRuns: 200 },
    )
  })

  it('in OpenMetrics, and a text scrape after it is unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        const registry = build(s)
        const textBefore = await registry.metrics()
        expect((await renderMetrics(registry, 'openmetrics', false)).body.toString()).toBe(
          await promClientOpenMetrics(s),
        )
        expect((await renderMetrics(registry, 'text', false)).body.toString()).toBe(textBefore)
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
    expect((await renderMetrics(registry, 'text', false)).body.toString()).toBe(await registry.metrics())
    gauge.remove(labels)
    expect((await renderMetrics(registry, 'text', false)).body.toString()).toBe(await registry.metrics())
    gauge.set({ a: 'one' }, 4)
    expect((await renderMetrics(registry, 'text', false)).body.toString()).toBe(await registry.metrics())
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
    expect((await renderMetrics(registry, 'text', false)).body.toString()).toBe(await large().metrics())
    const openMetrics = large() as unknown as Registry<OpenMetricsContentType>
    openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE)
    expect((await renderMetrics(registry, 'openmetrics', false)).body.toString()).toBe(
      await openMetrics.metrics(),
    )
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

/**
 * The API and group-quota series live in a store of the exporter's own (src/series) rather than in nine
 * labelled prom-client metrics. Driven by the same alerts, clock and sweeps, the store must render byte
 * for byte what those prom-client metrics, kept by the same series table, rendered: values, label
 * blocks, and the order of the samples in each family (prom-client keeps a sample's place while it is
 * set again and appends it when it comes back after being removed).
 */
describe('the series store renders what prom-client metrics fed the same alerts rendered', () => {
  type Op =
    | { kind: 'alert'; app: number; service: number; command: number; request: number; limit: number }
    | { kind: 'group'; app: number; quotaUsed: number; quota: number }
    | { kind: 'wait'; ms: number }
    | { kind: 'scrape' }
  const quantity = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1e6, noNaN: true }))
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('alert' as const),
        app: fc.integer({ min: 0, max: 2 }),
        service: fc.integer({ min: 0, max: 2 }),
        command: fc.integer({ min: 0, max: 3 }),
        request: quantity,
        limit: fc.oneof(fc.constant(0), quantity),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('group' as const),
        app: fc.integer({ min: 0, max: 4 }),
        quotaUsed: quantity,
        quota: fc.oneof(fc.constant(0), quantity),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 90_000 }) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('scrape' as const) }) },
  )
  const limits = fc.record({
    alertTtlSeconds: fc.integer({ min: 1, max: 120 }),
    maxSeries: fc.integer({ min: 1, max: 6 }),
  })

  /** The previous implementation: prom-client metrics, their series removed by the same table. */
  function promClientSeries(registry: Registry, config: SeriesLimits) {
    const help = (name: string) => Object.values(catalog).find((family) => family.name === name)?.help ?? ''
    const metric = (name: string, labelNames: string[]) =>
      name.endsWith('_total')
        ? new Counter({ name, help: help(name), labelNames, registers: [registry] })
        : new Gauge({ name, help: help(name), labelNames, registers: [registry] })
    const apiNames = ['sdkappid', 'service_name', 'command']
    const [qps, limit, ratio, alerts, last] = [
      'tencent_chat_api_requests_per_second',
      'tencent_chat_api_request_limit_per_second',
      'tencent_chat_api_utilization_ratio',
      'tencent_chat_api_overlimit_alerts_total',
      'tencent_chat_api_last_alert_timestamp_seconds',
    ].map((name) => metric(name, apiNames)) as [Gauge, Gauge, Gauge, Counter, Gauge]
    const [used, quota, quotaRatio, quotaAlerts] = [
      'tencent_chat_group_daily_net_increase',
      'tencent_chat_group_daily_quota',
      'tencent_chat_group_daily_quota_utilization_ratio',
      'tencent_chat_group_quota_alerts_total',
    ].map((name) => metric(name, ['sdkappid'])) as [Gauge, Gauge, Gauge, Counter]
    const apiLabels = (key: string) => {
      const [sdkappid = '', service_name = '', command = ''] = key.split(' ')
      return { sdkappid, service_name, command }
    }
    const table = <L>(
      labelsOf: (key: string) => L,
      current: Array<Gauge | Counter>,
      kept: Array<Gauge | Counter>,
    ) =>
      new SeriesTable<string>({
        ttlMs: config.alertTtlSeconds * 1000,
        maxEntries: config.maxSeries,
        onExpire: (key) => {
          for (const m of current) m.remove(labelsOf(key) as never)
        },
        onForget: (key) => {
          for (const m of [...current, ...kept]) m.remove(labelsOf(key) as never)
        },
      })
    const apis = table(apiLabels, [qps, ratio], [limit, alerts, last])
    const groups = table((sdkappid) => ({ sdkappid }), [used, quotaRatio], [quota, quotaAlerts])
    return {
      alert(sdkappid: string, a: RequestOverLimitAlert, nowMs: number) {
        const labels = { sdkappid, service_name: a.serviceName, command: a.command }
        if (apis.record(`${sdkappid} ${a.serviceName} ${a.command}`, nowMs) === 'dropped') return
        qps.set(labels, a.request)
        limit.set(labels, a.limit)
        if (a.limit > 0) ratio.set(labels, a.request / a.limit)
        else ratio.remove(labels)
        alerts.inc(labels)
        last.set(labels, nowMs / 1000)
      },
      group(sdkappid: string, a: GroupQuotaAlarm, nowMs: number) {
        const labels = { sdkappid }
        if (groups.record(sdkappid, nowMs) === 'dropped') return
        used.set(labels, a.quotaUsed)
        quota.set(labels, a.quota)
        if (a.quota > 0) quotaRatio.set(labels, a.quotaUsed / a.quota)
        else quotaRatio.remove(labels)
        quotaAlerts.inc(labels)
      },
      sweep(nowMs: number) {
        apis.sweep(nowMs)
        groups.sweep(nowMs)
      },
    }
  }

  /** The series families of an exposition, in order, with their samples. */
  const seriesFamilies = (exposition: string) =>
    exposition
      .split(/\n(?=# HELP )/)
      .filter((block) => /^# HELP tencent_chat_(api|group)_/.test(block))
      .map((block) => block.replace(/\n# EOF\n$|\n+$/, ''))
      .join('\n')

  it('at thousands of APIs, where a family is written in several pieces', async () => {
    const config = { alertTtlSeconds: 60, maxSeries: 3000 }
    const { registry, api: apiSeries } = seriesWithMetrics(config)
    const referenceRegistry = new Registry()
    const reference = promClientSeries(referenceRegistry, config)
    const nowMs = Date.UTC(2026, 0, 1)
    for (let i = 0; i < 3000; i++) {
      const alert = { serviceName: 'openim', command: `v4/openim/cmd_${i}`, request: i / 3, limit: i % 7 }
      apiSeries.record(String(1400000000 + (i % 13)), alert, nowMs + i)
      reference.alert(String(1400000000 + (i % 13)), alert, nowMs + i)
    }
    const text = (await renderMetrics(registry, 'text', false)).body.toString()
    // Several 64 KiB pieces per family.
    expect(text.length).toBeGreaterThan(5 * 3 * 64 * 1024)
    expect(seriesFamilies(text)).toBe(seriesFamilies(await referenceRegistry.metrics()))
  })

  it('through random alerts, expiry, eviction and scrapes, in both formats', async () => {
    await fc.assert(
      fc.asyncProperty(limits, fc.array(op, { maxLength: 60 }), async (config, ops) => {
        const { registry, api: apiSeries, groupQuota: groupSeries } = seriesWithMetrics(config)
        const referenceRegistry = new Registry()
        const reference = promClientSeries(referenceRegistry, config)
        let nowMs = Date.UTC(2026, 0, 1)
        const compare = async () => {
          apiSeries.sweep(nowMs)
          groupSeries.sweep(nowMs)
          reference.sweep(nowMs)
          const expected = await referenceRegistry.metrics()
          expect(seriesFamilies((await renderMetrics(registry, 'text', false)).body.toString())).toBe(
            seriesFamilies(expected),
          )
          // prom-client renders OpenMetrics by renaming its counters in place: the reference goes through
          // renderMetrics instead, shown above to render prom-client metrics exactly as prom-client does.
          expect(seriesFamilies((await renderMetrics(registry, 'openmetrics', false)).body.toString())).toBe(
            seriesFamilies((await renderMetrics(referenceRegistry, 'openmetrics', false)).body.toString()),
          )
          // prom-client's own rendering of the store (through get()) agrees too.
          expect(seriesFamilies(await registry.metrics())).toBe(seriesFamilies(expected))
        }
        for (const o of ops) {
          if (o.kind === 'wait') nowMs += o.ms
          else if (o.kind === 'scrape') await compare()
          else if (o.kind === 'alert') {
            const sdkappid = String(1400000000 + o.app)
            const alert = {
              serviceName: ['openim', 'group_open_http_svc', 'sns'][o.service] as string,
              command: `cmd_${o.command}`,
              request: o.request,
              limit: o.limit,
            }
            apiSeries.record(sdkappid, alert, nowMs)
            reference.alert(sdkappid, alert, nowMs)
          } else {
            const alarm = { quotaUsed: o.quotaUsed, quota: o.quota, eventTimeMs: undefined }
            const sdkappid = String(1400000000 + o.app)
            groupSeries.record(sdkappid, alarm, nowMs)
            reference.group(sdkappid, alarm, nowMs)
          }
        }
        await compare()
      }),
      { numRuns: 300 },
    )
  })
})
