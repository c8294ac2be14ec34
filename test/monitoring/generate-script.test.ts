import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot } from './paths.js'

const run = promisify(execFile)
const tsx = join(repoRoot, 'node_modules/.bin/tsx')

describe('scripts/generate-monitoring.ts', () => {
  // A copy of the sources in a temporary folder, so the test can make a file stale without touching the repository.
  const dir = mkdtempSync(join(tmpdir(), 'tce-generate-'))
  // src: the REST alerts take their error codes from src/rest-meter/rest-error-codes.ts.
  for (const path of [
    'scripts',
    'grafana',
    'prometheus',
    'alertmanager',
    'src',
    'package.json',
    'tsconfig.json',
  ]) {
    cpSync(join(repoRoot, path), join(dir, path), { recursive: true })
  }
  // The copy resolves packages from the repository's node_modules.
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir')
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const generate = (...args: string[]) =>
    run(tsx, ['scripts/generate-monitoring.ts', ...args], { cwd: dir }).then(
      (result) => ({ code: 0, ...result }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    )

  it('reports nothing stale for the committed files', async () => {
    const result = await generate('--check')
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  it('names a stale file with --check and rewrites it without', async () => {
    const rules = join(dir, 'prometheus/rules/tencent-chat-exporter.rules.yml')
    const committed = readFileSync(rules, 'utf8')
    writeFileSync(rules, committed.replace('>= 0.8', '>= 0.7'))
    const check = await generate('--check')
    expect(check.code).toBe(1)
    expect(check.stderr).toContain('out of date: prometheus/rules/tencent-chat-exporter.rules.yml')
    const write = await generate()
    expect(write.stdout).toBe('wrote prometheus/rules/tencent-chat-exporter.rules.yml\n')
    expect(readFileSync(rules, 'utf8')).toBe(committed)
  })
})
