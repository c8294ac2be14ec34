import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readWebConfigFile } from '../../src/web-config/web-config-file.js'
import { alertBody, callbackUrl, postCallback } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

// The status page shows what Chat sent and what was refused: it sits behind the same WEB_CONFIG_FILE
// basic auth as /metrics, while the probes and the callback path stay open.

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

describe.each([
  { name: 'one listener', metricsPort: undefined },
  { name: 'METRICS_PORT', metricsPort: 0 },
])('the status page with basic auth, $name', ({ metricsPort }) => {
  let dir: string
  let exporter: TestExporter
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tce-status-auth-'))
    writeFileSync(
      join(dir, 'web.yml'),
      `basic_auth_users:\n  prometheus: ${await bcrypt.hash('secret', 4)}\n`,
    )
    exporter = await startExporter({
      config: { webConfig: readWebConfigFile(join(dir, 'web.yml')), metricsPort },
    })
  })
  afterAll(async () => {
    await exporter?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('asks for the password on / and /api/v1/status like /metrics, not on the probes or callbacks', async () => {
    for (const path of ['/', '/api/v1/status', '/metrics']) {
      expect((await fetch(`${exporter.metricsUrl}${path}`)).status, path).toBe(401)
      const answer = await fetch(`${exporter.metricsUrl}${path}`, {
        headers: { authorization: basic('prometheus', 'secret') },
      })
      expect(answer.status, path).toBe(200)
    }
    expect((await fetch(`${exporter.metricsUrl}/-/ready`)).status).toBe(200)
    expect((await postCallback(callbackUrl(exporter.url), alertBody())).status).toBe(200)
  })
})
