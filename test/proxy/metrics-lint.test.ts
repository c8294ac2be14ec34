import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SDKAPPID } from '../helpers/callbacks.js'
import { promtoolCheckMetrics } from '../helpers/promtool.js'
import { startProxy, type TestProxy } from './start-proxy.js'
import { type FakeUpstream, startUpstream } from './upstream-server.js'

/** The families of front-proxy mode, each from its # HELP line. */
function proxyFamilies(exposition: string): string {
  return exposition
    .split(/(?=^# HELP )/m)
    .filter(
      (family) =>
        family.startsWith('# HELP tencent_chat_exporter_upstream_') ||
        family.startsWith('# HELP tencent_chat_callback_decisions_total '),
    )
    .join('')
}

describe('front-proxy metrics', () => {
  let upstream: FakeUpstream
  let proxy: TestProxy

  beforeAll(async () => {
    upstream = await startUpstream((_request, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.end('{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":1}')
    })
    proxy = await startProxy({ upstreamUrl: `${upstream.url}/callback`, upstream: { timeoutMs: 10_000 } })
    const query = `SdkAppid=${SDKAPPID}&CallbackCommand=Group.CallbackBeforeApplyJoinGroup&contenttype=json`
    await proxy.post(`/callback?${query}`, '{"CallbackCommand":"Group.CallbackBeforeApplyJoinGroup"}')
  })
  afterAll(async () => {
    await proxy.close()
    await upstream.close()
  })

  it('pass promtool check metrics with no finding, in the text format and after OpenMetrics', async () => {
    const text = await proxy.scrape()
    const families = proxyFamilies(text)
    expect(families).toContain('tencent_chat_exporter_upstream_requests_total{')
    expect(families).toContain('tencent_chat_exporter_upstream_request_duration_seconds_bucket{')
    expect(families).toContain('tencent_chat_callback_decisions_total{')
    expect(await promtoolCheckMetrics(families)).toEqual({ code: 0, output: '' })

    const openMetrics = await fetch(`${proxy.metricsUrl}/metrics`, {
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    })
    expect(await openMetrics.text()).toContain('tencent_chat_callback_decisions_total{')
    expect(proxyFamilies(await proxy.scrape())).toBe(families)
  })
})
