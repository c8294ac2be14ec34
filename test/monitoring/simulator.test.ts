import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseOptions, UsageError } from '../../scripts/simulator/options.js'
import { groupQuotaAt, phaseAt, restUtilisationAt, utilisationAt } from '../../scripts/simulator/pattern.js'
import { runSimulation } from '../../scripts/simulator/run.js'
import { sampleValue } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { repoRoot } from './paths.js'

const run = promisify(execFile)

const steps = Array.from({ length: 200 }, (_, step) => step / 200)

describe('simulator pattern', () => {
  it('ramps through 80%, spikes over 100%, then sends nothing', () => {
    const first = steps.map((progress) => utilisationAt(progress, 0))
    const ramp = first.filter((_, index) => phaseAt(steps[index] as number) === 'ramp') as number[]
    expect(Math.min(...ramp)).toBeGreaterThan(0.8)
    expect(Math.max(...ramp)).toBeLessThan(1)
    expect(ramp).toEqual([...ramp].sort((a, b) => a - b))
    const spike = first.filter((_, index) => phaseAt(steps[index] as number) === 'spike') as number[]
    expect(Math.min(...spike)).toBeGreaterThan(1)
    expect(
      first.filter((_, index) => phaseAt(steps[index] as number) === 'recover').every((u) => u === undefined),
    ).toBe(true)
  })

  it('keeps the second API near its limit without crossing it', () => {
    const second = steps.map((progress) => utilisationAt(progress, 1)).filter((u) => u !== undefined)
    expect(Math.max(...second)).toBeGreaterThan(0.9)
    expect(Math.max(...second)).toBeLessThan(1)
  })

  it("ramps the REST calls from 30% through the REST warning's 60%, spikes as the alarms, and falls back", () => {
    const first = steps.map((progress) => restUtilisationAt(progress, 0))
    const inPhase = (phase: string) => first.filter((_, index) => phaseAt(steps[index] as number) === phase)
    expect(Math.min(...inPhase('ramp'))).toBeCloseTo(0.3)
    expect(Math.max(...inPhase('ramp'))).toBeGreaterThan(0.6)
    expect(Math.max(...inPhase('ramp'))).toBeLessThan(1)
    expect(Math.min(...inPhase('spike'))).toBeGreaterThan(1)
    expect(new Set(inPhase('recover'))).toEqual(new Set([0.3]))
    expect(Math.max(...steps.map((progress) => restUtilisationAt(progress, 1)))).toBeLessThan(1)
  })

  it('drives the group quota past 90% before recovery', () => {
    const quota = steps.map(groupQuotaAt).filter((u) => u !== undefined)
    expect(Math.min(...quota)).toBeGreaterThan(0.7)
    expect(Math.max(...quota)).toBeGreaterThan(0.9)
  })
})

describe('simulator options', () => {
  it('defaults to the local exporter and takes the token from CALLBACK_TOKEN', () => {
    const options = parseOptions([], { CALLBACK_TOKEN: 'from-env' })
    expect(options).toMatchObject({ sdkAppId: '1400000001', token: 'from-env', durationSeconds: 120 })
    if (options === 'help') throw new Error('unexpected help')
    expect(options.url.href).toBe('http://127.0.0.1:10240/callback')
    expect(options.apis.map((api) => `${api.serviceName}/${api.command}:${api.limit}`)).toHaveLength(3)
  })

  it('parses --apis and prefers --token', () => {
    const options = parseOptions(['--apis', 'openim/sendmsg:50, profile/portrait_set', '--token', 't'], {
      CALLBACK_TOKEN: 'x',
    })
    expect(options).toMatchObject({
      token: 't',
      apis: [
        { serviceName: 'openim', command: 'sendmsg', limit: 50 },
        { serviceName: 'profile', command: 'portrait_set', limit: 200 },
      ],
    })
  })

  it('takes the REST meter URL and the secret key, from CHAT_SECRET_KEY too', () => {
    const options = parseOptions(['--rest-url', 'http://127.0.0.1:10241'], { CHAT_SECRET_KEY: 'k' })
    if (options === 'help') throw new Error('unexpected help')
    expect(options.restUrl?.href).toBe('http://127.0.0.1:10241/')
    expect(options.secretKey).toBe('k')
    expect(options.identifier).toBe('administrator')
    expect(options.restApis.map((api) => api.limit)).toEqual([20, 10, 10])
    expect((parseOptions([], {}) as { restUrl: unknown }).restUrl).toBeUndefined()
  })

  it.each([
    [['--rest-url', 'http://127.0.0.1:10241']],
    [['--rest-url', 'not a url', '--secret-key', 'k']],
    [['--duration', '100000']],
    [['--duration', '0']],
    [['--url', 'ftp://example.invalid/']],
    [['--apis', 'no-slash']],
    [['--sdkappid', 'abc']],
  ])('rejects %j', (argv) => {
    expect(() => parseOptions(argv, {})).toThrow(UsageError)
  })
})

describe('simulator against the real exporter', () => {
  let exporter: TestExporter

  beforeAll(async () => {
    exporter = await startExporter({
      config: { callbackToken: 'sim-token', sdkAppIds: new Set(['1400000001']) },
    })
  })

  afterAll(async () => {
    await exporter?.close()
  })

  it('sends signed alarms that the exporter accepts, then stops by itself', async () => {
    const options = parseOptions(
      ['--url', `${exporter.url}/callback`, '--token', 'sim-token', '--duration', '5', '--interval', '0.25'],
      {},
    )
    if (options === 'help') throw new Error('unexpected help')
    const started = Date.now()
    const summary = await runSimulation(options)
    expect(Date.now() - started).toBeLessThan(7000)
    expect(summary.failed).toBe(0)
    expect(summary.sent).toBeGreaterThan(20)
    const metrics = await (await fetch(`${exporter.metricsUrl}/metrics`)).text()
    const api = { sdkappid: '1400000001', service_name: 'openim', command: 'batchsendmsg' }
    expect(sampleValue(metrics, 'tencent_chat_api_utilization_ratio', api)).toBeGreaterThan(1)
    expect(sampleValue(metrics, 'tencent_chat_api_utilization_ratio', { command: 'sendmsg' })).toBeLessThan(1)
    expect(sampleValue(metrics, 'tencent_chat_group_daily_quota_utilization_ratio')).toBeGreaterThan(0.9)
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_rejected_callbacks_total', { reason: 'bad_signature' }),
    ).toBe(0)
  })

  it('stops after the first round and reports the failure when the token is wrong', async () => {
    const options = parseOptions(
      ['--url', `${exporter.url}/callback`, '--token', 'wrong', '--duration', '60'],
      {},
    )
    if (options === 'help') throw new Error('unexpected help')
    const summary = await runSimulation(options)
    expect(summary.rounds).toBe(1)
    expect(summary.failed).toBe(summary.sent)
    expect(summary.firstFailure?.status).toBe(401)
    expect(summary.firstFailure?.body).toContain('bad_signature')
  })
})

describe('npm run simulate', () => {
  let exporter: TestExporter
  const tsx = join(repoRoot, 'node_modules/.bin/tsx')

  beforeAll(async () => {
    exporter = await startExporter({ config: { callbackToken: 'cli-token' } })
  })

  afterAll(async () => {
    await exporter?.close()
  })

  it('prints its usage with --help', async () => {
    const { stdout } = await run(tsx, ['scripts/simulate.ts', '--help'], { cwd: repoRoot })
    expect(stdout).toContain('Usage: npm run simulate')
  })

  it('exits 1 and says why when the exporter rejects its callbacks', async () => {
    const failed = await run(
      tsx,
      ['scripts/simulate.ts', '--url', `${exporter.url}/callback`, '--duration', '60'],
      { cwd: repoRoot, env: { ...process.env, CALLBACK_TOKEN: 'not-the-token' } },
    ).catch((error: { code: number; stdout: string; stderr: string }) => error)
    expect('code' in failed && failed.code).toBe(1)
    expect(failed.stdout).toContain('1 rounds')
    expect(failed.stderr).toContain('answered 401')
    expect(failed.stderr).toContain('bad_signature')
  })

  it('exits 2 on a bad option', async () => {
    const failed = await run(tsx, ['scripts/simulate.ts', '--duration', 'forever'], { cwd: repoRoot }).catch(
      (error: { code: number; stderr: string }) => error,
    )
    expect('code' in failed && failed.code).toBe(2)
    expect(failed.stderr).toContain('--duration must be a number')
  })
})
