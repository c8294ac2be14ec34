import { request } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl, postCallback, sampleValue } from '../helpers/callbacks.js'
import { SCRAPER_ACCEPT } from '../helpers/scraper-accept-headers.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

const PROMETHEUS_ACCEPT = SCRAPER_ACCEPT.prometheus3_16
const TEXT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
const OPENMETRICS_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

/** fetch() always asks for gzip and decodes it; node:http shows the bytes as sent. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>(
    (resolve, reject) => {
      const req = request(url, { method, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk) => chunks.push(chunk))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        )
      })
      req.on('error', reject)
      req.end()
    },
  )
}

let exporter: TestExporter
beforeAll(async () => {
  exporter = await startExporter()
  await postCallback(callbackUrl(exporter.url), alertBody())
})
afterAll(() => exporter.close())

describe('GET /metrics', () => {
  it('answers the text format with exactly text/plain; version=0.0.4; charset=utf-8', async () => {
    for (const accept of [undefined, '*/*', 'text/plain', 'text/plain;version=0.0.4;q=0.5,*/*;q=0.1']) {
      const answer = await get(`${exporter.url}/metrics`, accept ? { accept } : {})
      expect(answer.status).toBe(200)
      expect(answer.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
      expect(answer.headers['content-encoding']).toBeUndefined()
      expect(answer.body.toString()).toContain('# TYPE tencent_chat_api_overlimit_alerts_total counter')
    }
  })

  it.each([
    ['Prometheus 2.42', SCRAPER_ACCEPT.prometheus2_42, OPENMETRICS_TYPE],
    ['Prometheus 2.55', SCRAPER_ACCEPT.prometheus2_55, OPENMETRICS_TYPE],
    ['Prometheus 3.5', SCRAPER_ACCEPT.prometheus3_5, OPENMETRICS_TYPE],
    ['Prometheus 3.16', SCRAPER_ACCEPT.prometheus3_16, OPENMETRICS_TYPE],
    ['Prometheus 3.16 proto-first', SCRAPER_ACCEPT.prometheus3_16ProtoFirst, OPENMETRICS_TYPE],
    ['Prometheus 3.16 protobuf only', SCRAPER_ACCEPT.prometheus3_16ProtobufOnly, TEXT_TYPE],
    ['a browser', SCRAPER_ACCEPT.chrome, TEXT_TYPE],
    ['curl', SCRAPER_ACCEPT.curl, TEXT_TYPE],
    ['no Accept header', undefined, TEXT_TYPE],
    ["the exporter's OpenMetrics type", OPENMETRICS_TYPE, OPENMETRICS_TYPE],
    ["the exporter's text type", TEXT_TYPE, TEXT_TYPE],
    ['nothing the exporter renders', 'application/json', TEXT_TYPE],
  ] as const)('answers %s with 200 and its format', async (_scraper, accept, contentType) => {
    const answer = await get(`${exporter.url}/metrics`, accept === undefined ? {} : { accept })
    expect(answer.status).toBe(200)
    expect(answer.headers['content-type']).toBe(contentType)
    const body = answer.body.toString()
    if (contentType === OPENMETRICS_TYPE) {
      expect(body).toMatch(/^# TYPE tencent_chat_api_overlimit_alerts counter$/m)
      expect(body.endsWith('# EOF\n')).toBe(true)
    } else {
      expect(body).toMatch(/^# TYPE tencent_chat_api_overlimit_alerts_total counter$/m)
      expect(body).not.toContain('# EOF')
    }
  })

  it('logs the Accept header of each scrape and the type answered, at debug', async () => {
    await get(`${exporter.url}/metrics`, { accept: PROMETHEUS_ACCEPT, 'user-agent': 'Prometheus/3.16.0' })
    const line = exporter.logs.findLast((entry) => entry.msg === 'metrics scraped')
    expect(line).toMatchObject({
      level: 'debug',
      accept: PROMETHEUS_ACCEPT,
      content_type: OPENMETRICS_TYPE,
      user_agent: 'Prometheus/3.16.0',
    })
  })

  it("answers OpenMetrics to Prometheus's own Accept header", async () => {
    const answer = await get(`${exporter.url}/metrics`, { accept: PROMETHEUS_ACCEPT })
    expect(answer.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8')
    const body = answer.body.toString()
    expect(body).toContain('# TYPE tencent_chat_api_overlimit_alerts counter')
    expect(body).toMatch(/^tencent_chat_api_overlimit_alerts_total\{.*\} 1$/m)
    expect(body.endsWith('# EOF\n')).toBe(true)
  })

  it('keeps the text format byte-correct after OpenMetrics scrapes', async () => {
    const before = (await get(`${exporter.url}/metrics`)).body.toString()
    await get(`${exporter.url}/metrics`, { accept: PROMETHEUS_ACCEPT })
    await get(`${exporter.url}/metrics`, { accept: PROMETHEUS_ACCEPT, 'accept-encoding': 'gzip' })
    const after = (await get(`${exporter.url}/metrics`)).body.toString()
    // Values move (CPU time, memory); names, types and label sets must not.
    const shape = (text: string) =>
      text
        .split('\n')
        .filter((line) => !line.startsWith('nodejs_') && !line.startsWith('process_'))
        .map((line) => (line.startsWith('#') ? line : line.replace(/ [^ ]+$/, '')))
    expect(shape(after)).toEqual(shape(before))
    expect(after).toContain('# TYPE tencent_chat_exporter_rejected_callbacks_total counter')
    expect(after).not.toMatch(/^# TYPE tencent_chat_exporter_rejected_callbacks counter$/m)
  })

  it('gzips when Accept-Encoding allows, in both formats', async () => {
    for (const accept of ['text/plain', PROMETHEUS_ACCEPT]) {
      const answer = await get(`${exporter.url}/metrics`, { accept, 'accept-encoding': 'gzip, deflate' })
      expect(answer.headers['content-encoding']).toBe('gzip')
      expect(answer.headers.vary).toMatch(/Accept-Encoding/)
      expect(gunzipSync(answer.body).toString()).toContain('tencent_chat_exporter_build_info')
    }
    const refused = await get(`${exporter.url}/metrics`, { 'accept-encoding': 'gzip;q=0, identity' })
    expect(refused.headers['content-encoding']).toBeUndefined()
  })

  it('includes build info, the configured TTL and cap, default metrics and the request-duration histogram', async () => {
    const text = (await get(`${exporter.url}/metrics`)).body.toString()
    expect(text).toMatch(
      /^tencent_chat_exporter_build_info\{version="\d+\.\d+\.\d+[^"]*",nodejs_version="v\d+[^"]*"\} 1$/m,
    )
    expect(sampleValue(text, 'tencent_chat_exporter_alert_ttl_seconds')).toBe(300)
    expect(sampleValue(text, 'tencent_chat_exporter_max_series')).toBe(2000)
    expect(text).toContain('process_resident_memory_bytes')
    expect(text).toContain('nodejs_eventloop_lag_seconds')
    expect(
      sampleValue(text, 'tencent_chat_exporter_http_request_duration_seconds_count', {
        route: '/callback',
        method: 'POST',
        status: '200',
      }),
    ).toBe(1)
  })

  it('records unknown paths under one route label, so raw paths cannot explode the histogram', async () => {
    await get(`${exporter.url}/random/${Math.random()}`)
    const text = (await get(`${exporter.url}/metrics`)).body.toString()
    expect(
      sampleValue(text, 'tencent_chat_exporter_http_request_duration_seconds_count', {
        route: 'unmatched',
        status: '404',
      }),
    ).toBeGreaterThanOrEqual(1)
    expect(text).not.toContain('/random/')
  })

  it('answers HEAD without a body', async () => {
    const answer = await get(`${exporter.url}/metrics`, {}, 'HEAD')
    expect(answer.status).toBe(200)
    expect(answer.body.length).toBe(0)
  })
})

describe('METRICS_PORT', () => {
  it('serves /metrics only on the metrics listener; probes and GET / on both', async () => {
    const split = await startExporter({ config: { metricsPort: 0 } })
    try {
      expect(split.metricsUrl).not.toBe(split.url)
      expect((await get(`${split.metricsUrl}/metrics`)).status).toBe(200)
      expect((await get(`${split.url}/metrics`)).status).toBe(404)
      for (const base of [split.url, split.metricsUrl]) {
        for (const path of ['/', '/-/healthy', '/-/ready', '/healthz', '/readyz']) {
          expect((await get(`${base}${path}`)).status, `${base}${path}`).toBe(200)
        }
      }
      // Callbacks are not served on the metrics listener...
      expect((await postCallback(callbackUrl(split.metricsUrl), alertBody())).status).toBe(404)
      // ...and what the callback listener records shows on the metrics listener.
      expect((await postCallback(callbackUrl(split.url), alertBody())).status).toBe(200)
      const text = (await get(`${split.metricsUrl}/metrics`)).body.toString()
      expect(sampleValue(text, 'tencent_chat_api_overlimit_alerts_total', { command: 'batchsendmsg' })).toBe(
        1,
      )
    } finally {
      await split.close()
    }
  })
})
