import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runUntilExit } from '../startup/exporter-process.js'

// The REST meter's configuration, wrong: the entry point stops at once with a non-zero exit and a
// stderr line naming the variable, before listening.

let files: string
const path = (name: string) => join(files, name)

beforeAll(async () => {
  files = await mkdtemp(join(tmpdir(), 'tce-meter-config-'))
  await writeFile(path('not-pem'), 'this is no certificate\n')
  await writeFile(path('bad-yaml'), 'openim/sendmsg: [400\n')
  await writeFile(path('bad-key'), 'sendmsg: 400\n')
  await writeFile(path('bad-value'), 'openim/sendmsg: fast\n')
  await writeFile(path('zero-value'), 'openim/sendmsg: 0\n')
  await writeFile(path('a-list'), '- openim/sendmsg\n')
})
afterAll(async () => {
  if (files) await rm(files, { recursive: true, force: true })
})

// Generous timeouts: a loaded 2-core CI machine can take seconds to start a Node.js process.
describe.concurrent('bad REST meter configuration stops the process and names the variable', {
  timeout: 60_000,
}, () => {
  const cases: Array<{ env: () => Record<string, string>; variable: string; says: string }> = [
    { env: () => ({ EGRESS_PORT: 'abc' }), variable: 'EGRESS_PORT', says: 'whole number' },
    {
      env: () => ({ PORT: '19090', EGRESS_PORT: '19090' }),
      variable: 'EGRESS_PORT',
      says: 'differ from PORT',
    },
    {
      env: () => ({ METRICS_PORT: '19091', EGRESS_PORT: '19091' }),
      variable: 'EGRESS_PORT',
      says: 'differ from METRICS_PORT',
    },
    {
      env: () => ({ EGRESS_PORT: '0', CHAT_REST_URL: 'http://console.tim.qq.com' }),
      variable: 'CHAT_REST_URL',
      says: 'https://',
    },
    {
      env: () => ({ EGRESS_PORT: '0', CHAT_REST_URL: 'https://console.tim.qq.com/?sdkappid=1' }),
      variable: 'CHAT_REST_URL',
      says: 'without query',
    },
    {
      env: () => ({ EGRESS_PORT: '0', CHAT_REST_TIMEOUT_MS: '5' }),
      variable: 'CHAT_REST_TIMEOUT_MS',
      says: 'at least 100',
    },
    {
      env: () => ({ EGRESS_PORT: '0', REST_BODY_LIMIT_BYTES: '10' }),
      variable: 'REST_BODY_LIMIT_BYTES',
      says: 'at least 1024',
    },
    {
      env: () => ({ EGRESS_PORT: '0', CHAT_REST_CA_FILE: path('missing.pem') }),
      variable: 'CHAT_REST_CA_FILE',
      says: 'ENOENT',
    },
    {
      env: () => ({ EGRESS_PORT: '0', CHAT_REST_CA_FILE: path('not-pem') }),
      variable: 'CHAT_REST_CA_FILE',
      says: 'no PEM certificate',
    },
    {
      env: () => ({ EGRESS_PORT: '0', API_LIMITS_FILE: path('missing.yaml') }),
      variable: 'API_LIMITS_FILE',
      says: 'ENOENT',
    },
    {
      env: () => ({ EGRESS_PORT: '0', API_LIMITS_FILE: path('bad-yaml') }),
      variable: 'API_LIMITS_FILE',
      says: 'not valid YAML',
    },
    {
      env: () => ({ EGRESS_PORT: '0', API_LIMITS_FILE: path('bad-key') }),
      variable: 'API_LIMITS_FILE',
      says: 'is not <servicename>/<command>',
    },
    {
      env: () => ({ EGRESS_PORT: '0', API_LIMITS_FILE: path('bad-value') }),
      variable: 'API_LIMITS_FILE',
      says: 'positive number',
    },
    {
      env: () => ({ EGRESS_PORT: '0', API_LIMITS_FILE: path('zero-value') }),
      variable: 'API_LIMITS_FILE',
      says: 'positive number',
    },
    {
      env: () => ({ EGRESS_PORT: '0', API_LIMITS_FILE: path('a-list') }),
      variable: 'API_LIMITS_FILE',
      says: 'must be a mapping',
    },
  ]

  for (const { env, variable, says } of cases) {
    it(`${variable}: ${says}`, async () => {
      const result = await runUntilExit([process.execPath, '--import', 'tsx', 'src/main.ts'], {
        env: env(),
        timeoutMs: 50_000,
      })
      expect(result.signal).toBeNull()
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('tencent-chat-exporter: invalid configuration: ')
      expect(result.stderr).toMatch(new RegExp(`\\b${variable}\\b`))
      expect(result.stderr).toContain(says)
      expect(result.stdout).not.toContain('listening')
    })
  }
})
