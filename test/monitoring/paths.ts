import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

/** The repository root, for tests that read the committed monitoring files. */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

export const rulesFile = join(repoRoot, 'prometheus/rules/tencent-chat-exporter.rules.yml')
export const promtoolTestsDir = join(repoRoot, 'prometheus/tests')
export const alertmanagerConfigFile = join(repoRoot, 'alertmanager/alertmanager.example.yml')
export const runbookFile = join(repoRoot, 'docs/runbook.md')

export function promtoolTestFiles(): string[] {
  return readdirSync(promtoolTestsDir)
    .filter((name) => name.endsWith('.test.yml'))
    .sort()
    .map((name) => join(promtoolTestsDir, name))
}

export function readYaml<T = unknown>(file: string): T {
  return parse(readFileSync(file, 'utf8')) as T
}
