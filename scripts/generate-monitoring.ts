/**
 * Regenerates the committed monitoring files from their TypeScript sources:
 * prometheus/rules/tencent-chat-exporter.rules.yml and grafana/dashboards/*.json.
 *
 *   npx tsx scripts/generate-monitoring.ts          write the files
 *   npx tsx scripts/generate-monitoring.ts --check  exit 1 if a committed file is out of date
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generatedFiles } from './monitoring-files.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const check = process.argv.includes('--check')
let stale = 0

for (const [path, content] of Object.entries(generatedFiles())) {
  const file = join(root, path)
  let current: string | undefined
  try {
    current = readFileSync(file, 'utf8')
  } catch {
    current = undefined
  }
  if (current === content) continue
  if (check) {
    stale++
    process.stderr.write(`out of date: ${path}\n`)
    continue
  }
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, content)
  process.stdout.write(`wrote ${path}\n`)
}

if (stale > 0) {
  process.stderr.write('run `npx tsx scripts/generate-monitoring.ts` and commit the result\n')
  process.exit(1)
}
