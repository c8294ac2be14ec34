import { describe, expect, it } from 'vitest'
import { renderMetrics } from '../../src/metrics/render-metrics.js'
import { seriesWithMetrics } from '../helpers/exporter-metrics.js'

const APIS = 10_000
const T0 = Date.UTC(2026, 0, 1)
const TTL_SECONDS = 60

function trackedApis() {
  const { registry, api: series } = seriesWithMetrics({ alertTtlSeconds: TTL_SECONDS, maxSeries: APIS })
  const alert = (i: number) => ({ serviceName: 'openim', command: `cmd_${i}`, request: 150, limit: 200 })
  for (let i = 0; i < APIS; i++) series.record('1400000001', alert(i), T0)
  return { registry, series, alert }
}

const sampleLines = (text: string) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#'))

describe("the exporter's own families in a large scrape", () => {
  it('are written in slices, with turns of the event loop between them', async () => {
    const { registry } = trackedApis()
    let turns = 0
    let rendering = true
    const countTurns = () => {
      turns++
      if (rendering) setImmediate(countTurns)
    }
    setImmediate(countTurns)
    const rendered = await renderMetrics(registry, 'text', false)
    rendering = false
    // Five families of 10,000 samples, 4,096 samples a turn: at least 12 turns (a family written at
    // once would give one turn per family).
    expect(turns).toBeGreaterThanOrEqual(12)
    expect(
      sampleLines(rendered.body.toString()).filter((l) => l.startsWith('tencent_chat_api_')),
    ).toHaveLength(5 * APIS)
  })

  it('show each label set once when an API expires and is alerted again between two slices', async () => {
    const { registry, series, alert } = trackedApis()
    const pending = renderMetrics(registry, 'text', false)
    // Runs at the render's first turn, once the first slice of tencent_chat_api_requests_per_second
    // (which holds API 0) is written: every API expires, then API 0 is alerted again, which puts it
    // back at the end of the live family.
    setImmediate(() => {
      const later = T0 + (TTL_SECONDS + 1) * 1000
      series.sweep(later)
      series.record('1400000001', alert(0), later)
    })
    const lines = sampleLines((await pending).body.toString())
    expect(new Set(lines.map((line) => line.slice(0, line.lastIndexOf(' ')))).size).toBe(lines.length)
    const api0 = lines.filter(
      (l) => l.startsWith('tencent_chat_api_requests_per_second{') && /"cmd_0"/.test(l),
    )
    expect(api0).toHaveLength(1)
    // The next scrape shows the state after the sweep: only API 0 is live.
    const next = sampleLines((await renderMetrics(registry, 'text', false)).body.toString())
    expect(next.filter((l) => l.startsWith('tencent_chat_api_requests_per_second{'))).toHaveLength(1)
  })
})
