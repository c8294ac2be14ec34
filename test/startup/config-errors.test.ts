import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OK_ANSWER } from '../../src/protocol/answers.js'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue } from '../helpers/callbacks.js'
import {
  type BuiltEntryPoint,
  buildEntryPoint,
  type ExporterProcess,
  runUntilExit,
  spawnExporter,
} from './exporter-process.js'

// The real entry point, compiled once, started with bad configuration: it must stop at once with a
// non-zero exit and one stderr line naming the variable, and never print the token.

let entry: BuiltEntryPoint
let files: string
const running: ExporterProcess[] = []

beforeAll(async () => {
  // The folder first, so that afterAll removes it even when the build fails.
  files = await mkdtemp(join(tmpdir(), 'tce-config-'))
  await writeFile(join(files, 'empty-token'), '')
  await writeFile(join(files, 'newline-only-token'), '\n')
  await writeFile(join(files, 'token'), 'file-token\n')
  await writeFile(join(files, 'crlf-token'), 'file-token\r\n')
  await writeFile(join(files, 'spaced-token'), 'has space secret-XYZ\n')
  entry = await buildEntryPoint()
})

afterAll(async () => {
  await Promise.all(running.map((exporter) => exporter.kill()))
  await Promise.all([entry?.remove(), files && rm(files, { recursive: true, force: true })])
})

function start(env: Record<string, string>): ExporterProcess {
  const exporter = spawnExporter(['node', entry.main], { env })
  running.push(exporter)
  return exporter
}

const path = (name: string) => join(files, name)

// Generous timeouts: a loaded 2-core CI machine can take seconds to start a Node.js process.
describe.concurrent('bad configuration stops the process and names the variable', { timeout: 40_000 }, () => {
  // env is a function: the token files exist only once beforeAll ran.
  const cases: Array<{ env: () => Record<string, string>; variable: string; says: string }> = [
    { env: () => ({ PORT: 'abc' }), variable: 'PORT', says: 'must be a whole number' },
    { env: () => ({ PORT: '70000' }), variable: 'PORT', says: 'must be at most 65535' },
    {
      env: () => ({ PORT: '19090', METRICS_PORT: '19090' }),
      variable: 'METRICS_PORT',
      says: 'differ from PORT',
    },
    { env: () => ({ CALLBACK_PATH: 'metrics' }), variable: 'CALLBACK_PATH', says: 'starting with "/"' },
    { env: () => ({ CALLBACK_PATH: '/metrics' }), variable: 'CALLBACK_PATH', says: "exporter's own paths" },
    { env: () => ({ CALLBACK_PATH: '/-/ready' }), variable: 'CALLBACK_PATH', says: "exporter's own paths" },
    { env: () => ({ SDKAPPIDS: 'abc,' }), variable: 'SDKAPPIDS', says: 'numeric SDKAppIDs' },
    { env: () => ({ MAX_SERIES: '0' }), variable: 'MAX_SERIES', says: 'at least 1' },
    { env: () => ({ ALERT_TTL_SECONDS: '-5' }), variable: 'ALERT_TTL_SECONDS', says: 'whole number' },
    { env: () => ({ BODY_LIMIT_BYTES: '1' }), variable: 'BODY_LIMIT_BYTES', says: 'at least 1024' },
    { env: () => ({ LOG_LEVEL: 'loud' }), variable: 'LOG_LEVEL', says: 'must be one of' },
    {
      env: () => ({ CALLBACK_TOKEN: 'inline-token', CALLBACK_TOKEN_FILE: path('token') }),
      variable: 'CALLBACK_TOKEN_FILE',
      says: 'both set',
    },
    {
      env: () => ({ CALLBACK_TOKEN_FILE: path('no-such-file') }),
      variable: 'CALLBACK_TOKEN_FILE',
      says: 'ENOENT',
    },
    {
      env: () => ({ CALLBACK_TOKEN_FILE: path('empty-token') }),
      variable: 'CALLBACK_TOKEN_FILE',
      says: 'empty',
    },
    {
      env: () => ({ CALLBACK_TOKEN_FILE: path('newline-only-token') }),
      variable: 'CALLBACK_TOKEN_FILE',
      says: 'empty',
    },
    { env: () => ({ UPSTREAM_URL: 'ftp://x' }), variable: 'UPSTREAM_URL', says: 'http:// or https://' },
    {
      env: () => ({ UPSTREAM_FAILURE_POLICY: 'maybe' }),
      variable: 'UPSTREAM_FAILURE_POLICY',
      says: 'allow or reject',
    },
  ]

  for (const { env, variable, says } of cases) {
    it(`${variable}: ${says}`, async () => {
      const result = await runUntilExit(['node', entry.main], { env: env() })
      expect(result.signal).toBeNull()
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('tencent-chat-exporter: invalid configuration: ')
      // The variable as a whole word: CALLBACK_TOKEN must not pass for CALLBACK_TOKEN_FILE.
      expect(result.stderr).toMatch(new RegExp(`\\b${variable}\\b`))
      expect(result.stderr).toContain(says)
      // It stops before listening: nothing was served, nothing logged as started.
      expect(result.stdout).not.toContain('listening')
    })
  }

  it('never echoes an invalid CALLBACK_TOKEN', async () => {
    const result = await runUntilExit(['node', entry.main], {
      env: { CALLBACK_TOKEN: 'has space secret-XYZ' },
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('CALLBACK_TOKEN: ')
    expect(result.stderr).toContain('white space')
    expect(result.stderr + result.stdout).not.toContain('secret-XYZ')
  })

  it('never echoes an invalid token read from CALLBACK_TOKEN_FILE', async () => {
    const result = await runUntilExit(['node', entry.main], {
      env: { CALLBACK_TOKEN_FILE: path('spaced-token') },
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('CALLBACK_TOKEN_FILE: ')
    expect(result.stderr + result.stdout).not.toContain('secret-XYZ')
  })

  it('never echoes the token when another variable is the bad one', async () => {
    const result = await runUntilExit(['node', entry.main], {
      env: { CALLBACK_TOKEN: 'good-secret-XYZ', MAX_SERIES: 'lots' },
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('MAX_SERIES: ')
    expect(result.stderr + result.stdout).not.toContain('secret-XYZ')
  })
})

describe.concurrent('good configuration', { timeout: 40_000 }, () => {
  it('starts, logs "listening" with the bound port, and that port serves', async () => {
    const exporter = start({ SDKAPPIDS: SDKAPPID, CALLBACK_TOKEN: 'inline-secret-XYZ' })
    const port = await exporter.listening()
    expect(port).toBeGreaterThan(0)
    const ready = await fetch(`http://127.0.0.1:${port}/-/ready`)
    expect(ready.status).toBe(200)
    const started = exporter.logs().find((line) => line.msg === 'tencent-chat-exporter listening')
    expect(started).toMatchObject({ level: 'info', host: '127.0.0.1', authentication: 'sign' })
    expect(started?.sdkappids).toEqual([SDKAPPID])
    // With an allow-list and a token there is nothing to warn about, and the token is never logged.
    expect(exporter.logs().filter((line) => line.level === 'warn')).toEqual([])
    expect(exporter.stdout + exporter.stderr).not.toContain('secret-XYZ')
  })

  it('warns at start-up when SDKAPPIDS is unset', async () => {
    const exporter = start({ CALLBACK_TOKEN: 'inline-token' })
    await exporter.listening()
    const warning = await exporter.waitForLog((line) => line.level === 'warn')
    expect(warning.msg).toContain('SDKAPPIDS is not set')
  })

  it.each([
    ['a trailing newline', 'token'],
    ['a trailing CRLF', 'crlf-token'],
  ])('reads CALLBACK_TOKEN_FILE with %s: a correct Sign is accepted, others rejected', async (_, file) => {
    const exporter = start({ SDKAPPIDS: SDKAPPID, CALLBACK_TOKEN_FILE: path(file) })
    const base = `http://127.0.0.1:${await exporter.listening()}`

    const signed = await postCallback(callbackUrl(base, { token: 'file-token' }), alertBody())
    expect(signed).toMatchObject({ status: 200, text: OK_ANSWER })
    // The newline is not part of the token: a Sign computed with it must not match.
    const withNewline = await postCallback(callbackUrl(base, { token: 'file-token\n' }), alertBody())
    expect(withNewline.status).toBe(401)
    expect(JSON.parse(withNewline.text).ErrorInfo).toMatch(/^bad_signature: /)
    const wrong = await postCallback(callbackUrl(base, { token: 'other-token' }), alertBody())
    expect(wrong.status).toBe(401)
    const unsigned = await postCallback(callbackUrl(base), alertBody())
    expect(unsigned.status).toBe(401)
    expect(JSON.parse(unsigned.text).ErrorInfo).toMatch(/^missing_signature: /)

    const metrics = await (await fetch(`${base}/metrics`)).text()
    const api = { sdkappid: SDKAPPID, service_name: 'openim', command: 'batchsendmsg' }
    expect(sampleValue(metrics, 'tencent_chat_api_overlimit_alerts_total', api)).toBe(1)
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_rejected_callbacks_total', { reason: 'bad_signature' }),
    ).toBe(2)
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_rejected_callbacks_total', { reason: 'missing_signature' }),
    ).toBe(1)
  })
})
