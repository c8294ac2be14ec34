import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatedFiles } from '../../scripts/monitoring-files.js'
import { repoRoot } from './paths.js'

describe('generated monitoring files', () => {
  const files = Object.entries(generatedFiles())

  it('include the rules file the Kubernetes manifests are built from', () => {
    expect(files.map(([path]) => path)).toContain('prometheus/rules/tencent-chat-exporter.rules.yml')
  })

  it.each(files)('%s is committed exactly as its source generates it', (path, content) => {
    // If this fails: npx tsx scripts/generate-monitoring.ts, then commit the result.
    expect(readFileSync(join(repoRoot, path), 'utf8')).toBe(content)
  })
})
