import { describe, expect, it } from 'vitest'
import {
  createUpstreamRecorder,
  MAX_COMMAND_LABELS,
  MAX_DECISION_SERIES,
} from '../../src/proxy/upstream-recorder.js'
import { sampleValue } from '../helpers/callbacks.js'
import { seriesWithMetrics } from '../helpers/exporter-metrics.js'

function setup() {
  const { registry, metrics } = seriesWithMetrics(
    { alertTtlSeconds: 300, maxSeries: 10 },
    { frontProxy: true },
  )
  if (metrics.upstream === undefined) throw new Error('no front-proxy metrics')
  return { registry, record: createUpstreamRecorder(metrics.upstream) }
}

describe('upstream metrics', () => {
  it("starts a command's four outcomes at 0 when it is first forwarded", async () => {
    const { registry, record } = setup()
    expect(await registry.metrics()).not.toContain('tencent_chat_exporter_upstream_requests_total{')
    record.request('State.StateChange', 'timeout', 1.8)
    const text = await registry.metrics()
    const count = (outcome: string) =>
      sampleValue(text, 'tencent_chat_exporter_upstream_requests_total', {
        callback_command: 'State.StateChange',
        outcome,
      })
    expect([count('ok'), count('http_error'), count('timeout'), count('connection_error')]).toEqual([
      0, 0, 1, 0,
    ])
    expect(
      sampleValue(text, 'tencent_chat_exporter_upstream_request_duration_seconds_bucket', {
        callback_command: 'State.StateChange',
        le: '2',
      }),
    ).toBe(1)
  })

  it(`gives at most ${MAX_COMMAND_LABELS} commands their own series, the rest _other`, async () => {
    const { registry, record } = setup()
    for (let i = 0; i < MAX_COMMAND_LABELS + 5; i += 1) record.request(`Made.Up${i}`, 'ok', 0.001)
    record.request('Made.Up0', 'ok', 0.001)
    const text = await registry.metrics()
    const commands = new Set(
      [...text.matchAll(/upstream_requests_total\{callback_command="([^"]+)"/g)].map((match) => match[1]),
    )
    expect(commands.size).toBe(MAX_COMMAND_LABELS + 1)
    const ok = (command: string) =>
      sampleValue(text, 'tencent_chat_exporter_upstream_requests_total', {
        callback_command: command,
        outcome: 'ok',
      })
    expect(ok('_other')).toBe(5)
    expect(ok('Made.Up0')).toBe(2)
    expect(
      sampleValue(text, 'tencent_chat_exporter_upstream_requests_total', {
        callback_command: '_other',
        outcome: 'timeout',
      }),
    ).toBe(0)
  })

  it(`gives at most ${MAX_DECISION_SERIES} decision label sets their own series`, async () => {
    const { registry, record } = setup()
    for (let i = 0; i < MAX_DECISION_SERIES + 3; i += 1) {
      record.decision(String(1400000000 + i), 'C2C.CallbackBeforeSendMsg', '1')
    }
    record.decision('1400000000', 'C2C.CallbackBeforeSendMsg', '1')
    const text = await registry.metrics()
    const lines = text.split('\n').filter((line) => line.startsWith('tencent_chat_callback_decisions_total{'))
    expect(lines.length).toBe(MAX_DECISION_SERIES + 1)
    expect(
      sampleValue(text, 'tencent_chat_callback_decisions_total', {
        sdkappid: '_other',
        error_code: '_other',
      }),
    ).toBe(3)
    expect(sampleValue(text, 'tencent_chat_callback_decisions_total', { sdkappid: '1400000000' })).toBe(2)
  })
})
