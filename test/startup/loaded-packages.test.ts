import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import bcrypt from 'bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BuiltEntryPoint, buildEntryPoint, spawnExporter } from './exporter-process.js'

const REPORTER = join(import.meta.dirname, 'fixtures/report-packages.cjs')

/**
 * A sidecar's memory is paid once per app Pod, so the entry point loads only what the configuration
 * uses: undici only in front-proxy mode, yaml and bcrypt only with WEB_CONFIG_FILE (BENCHMARKS.md,
 * Footprint). Each case runs the built entry point and asks it which packages it has loaded.
 */
describe('packages loaded at start-up', () => {
  let entry: BuiltEntryPoint
  let dir: string
  beforeAll(async () => {
    entry = await buildEntryPoint()
    dir = mkdtempSync(join(tmpdir(), 'tce-loaded-'))
  }, 120_000)
  afterAll(async () => {
    await entry?.remove()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  async function loadedWith(name: string, env: Record<string, string>): Promise<string[]> {
    const report = join(dir, `${name}.json`)
    const exporter = spawnExporter(['node', '--require', REPORTER, entry.main], {
      env: { ...env, REPORT_FILE: report },
    })
    try {
      await exporter.listening()
      exporter.child.kill('SIGUSR2')
      // The report is written by the signal handler: wait for the file, not for a fixed time.
      for (let i = 0; i < 200 && !existsSync(report); i++) await delay(25)
      return JSON.parse(readFileSync(report, 'utf8')) as string[]
    } finally {
      await exporter.kill()
    }
  }

  it('loads neither undici nor yaml nor bcrypt in the default configuration', async () => {
    const loaded = await loadedWith('default', {})
    // What it does load shows that the report sees packages at all.
    expect(loaded).toEqual(expect.arrayContaining(['koa', 'prom-client', 'pino']))
    expect(loaded).not.toContain('undici')
    expect(loaded).not.toContain('yaml')
    expect(loaded).not.toContain('bcrypt')
  })

  it('loads undici in front-proxy mode', async () => {
    const loaded = await loadedWith('proxy', { UPSTREAM_URL: 'http://127.0.0.1:9/app' })
    expect(loaded).toContain('undici')
    expect(loaded).not.toContain('yaml')
  })

  it('loads yaml and bcrypt with a WEB_CONFIG_FILE that has users', async () => {
    const file = join(dir, 'web-config.yml')
    writeFileSync(file, `basic_auth_users:\n  prometheus: ${await bcrypt.hash('pw', 4)}\n`)
    const loaded = await loadedWith('web-config', { WEB_CONFIG_FILE: file, METRICS_PORT: '0' })
    expect(loaded).toEqual(expect.arrayContaining(['yaml', 'bcrypt']))
    expect(loaded).not.toContain('undici')
  })
})
