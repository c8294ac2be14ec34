import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoChat, startDemoChat } from '../../scripts/simulator/demo-chat.js'
import { parseOptions } from '../../scripts/simulator/options.js'
import { runSimulation, type SimulationSummary } from '../../scripts/simulator/run.js'
import { readApiLimitsFileSync } from '../../src/rest-meter/api-limits-file.js'
import { readPemCertificates } from '../../src/rest-meter/extra-ca.js'
import { sampleValue } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { repoRoot } from './paths.js'

const run = promisify(execFile)

// The docker-compose demo's REST meter path without Docker: the certificate the chat-certificate
// service makes (its own script, with this machine's openssl), the demo Chat with it, the exporter's
// REST meter trusting it (CHAT_REST_CA_FILE) with the demo limits file, and the simulator's REST calls
// through the meter, as `docker compose up` runs them.

const SECRET_KEY = 'demo-chat-secret-key'
const LIMITS_FILE = join(repoRoot, 'scripts/simulator/demo-api-limits.yaml')

describe("the demo stack's REST meter path", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tce-demo-chat-'))
  let chat: DemoChat
  let exporter: TestExporter
  let summary: SimulationSummary

  beforeAll(async () => {
    await run('sh', [join(repoRoot, 'scripts/simulator/make-demo-certificate.sh'), dir])
    const certFile = join(dir, 'fake-chat.crt')
    const options = parseOptions(['--secret-key', SECRET_KEY], {})
    if (options === 'help') throw new Error('unexpected help')
    chat = await startDemoChat({
      cert: readFileSync(certFile, 'utf8'),
      key: readFileSync(join(dir, 'fake-chat.key'), 'utf8'),
      sdkAppId: '1400000001',
      identifier: 'administrator',
      secretKey: SECRET_KEY,
      apis: options.restApis,
    })
    const ca = readPemCertificates(certFile)
    if (!ca.ok) throw new Error(ca.problem)
    const limits = readApiLimitsFileSync(LIMITS_FILE)
    if (!limits.ok) throw new Error(limits.problem)
    exporter = await startExporter({
      config: {
        callbackToken: 'demo-callback-token',
        sdkAppIds: new Set(['1400000001']),
        logLevel: 'warn',
        egress: {
          port: 0,
          host: '127.0.0.1',
          // The certificate names localhost besides fake-chat, for a run outside Compose.
          chatRestUrl: new URL(`https://localhost:${chat.port}`),
          timeoutMs: 10_000,
          extraCa: { path: certFile, pem: ca.pem },
          bodyLimitBytes: 8 * 1024 * 1024,
        },
        apiLimitsFile: { path: LIMITS_FILE, limits: limits.limits, content: limits.content ?? '' },
      },
    })
    const simulation = parseOptions(
      [
        ...['--url', `${exporter.url}/callback`, '--token', 'demo-callback-token'],
        ...['--rest-url', exporter.egressUrl as string, '--secret-key', SECRET_KEY],
        ...['--duration', '5', '--interval', '0.25'],
      ],
      {},
    )
    if (simulation === 'help') throw new Error('unexpected help')
    summary = await runSimulation(simulation)
  }, 60_000)

  afterAll(async () => {
    await exporter?.close()
    await chat?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('calls every API through the meter, which reaches the demo Chat over verified HTTPS', () => {
    expect(summary.failed).toBe(0)
    expect(summary.rest?.unanswered).toBe(0)
    expect(summary.rest?.calls).toBeGreaterThan(100)
    const apis = [...chat.answered.keys()].map((key) => key.split(' ')[0])
    expect(new Set(apis)).toEqual(
      new Set(['profile/portrait_get', 'group_open_http_svc/get_group_info', 'openim/query_online_status']),
    )
  })

  it('shows what the REST dashboard and alerts read: throttling in the spike, an expired UserSig, peaks against the configured limits', async () => {
    expect(summary.rest?.byErrorCode.get(0)).toBeGreaterThan(50)
    expect(summary.rest?.byErrorCode.get(60007)).toBeGreaterThan(0)
    expect(summary.rest?.byErrorCode.get(70001)).toBeGreaterThan(0)
    const metrics = await (await fetch(`${exporter.metricsUrl}/metrics`)).text()
    const api = { sdkappid: '1400000001', service_name: 'profile', command: 'portrait_get' }
    expect(
      sampleValue(metrics, 'tencent_chat_rest_requests_total', { ...api, error_code: '60007' }),
    ).toBeGreaterThan(0)
    expect(
      sampleValue(metrics, 'tencent_chat_rest_requests_total', { ...api, error_code: '70001' }),
    ).toBeGreaterThan(0)
    expect(
      sampleValue(metrics, 'tencent_chat_api_known_limit_per_second', { ...api, source: 'configured' }),
    ).toBe(20)
    expect(sampleValue(metrics, 'tencent_chat_rest_peak_utilization_ratio', api)).toBeGreaterThan(1)
    expect(
      sampleValue(metrics, 'tencent_chat_rest_failures_total', { ...api, reason: 'chat_unreachable' }),
    ).toBe(0)
  })

  it('limits, in the demo limits file, exactly the APIs and rates the simulator and the demo Chat use', () => {
    const options = parseOptions(['--secret-key', SECRET_KEY], {})
    if (options === 'help') throw new Error('unexpected help')
    const limits = readApiLimitsFileSync(LIMITS_FILE)
    if (!limits.ok) throw new Error(limits.problem)
    expect(Object.fromEntries(limits.limits)).toEqual(
      Object.fromEntries(options.restApis.map((api) => [`${api.serviceName}/${api.command}`, api.limit])),
    )
  })
})
