import { describe, expect, it } from 'vitest'
import { promtoolTestFiles, readYaml, rulesFile } from './paths.js'
import { findTool, runTool } from './tools.js'

interface RulesFile {
  groups: Array<{ rules: Array<{ alert?: string; record?: string }> }>
}

describe('Prometheus rules under promtool', () => {
  const promtool = findTool('promtool')

  it('pass promtool check rules', async () => {
    const result = await runTool(promtool, ['check', 'rules', rulesFile])
    expect(result.stderr + result.stdout).toContain('SUCCESS')
    expect(result.code).toBe(0)
    const count = readYaml<RulesFile>(rulesFile).groups.flatMap((group) => group.rules).length
    expect(result.stdout).toContain(`${count} rules found`)
  })

  it('pass every promtool unit test in prometheus/tests', async () => {
    const files = promtoolTestFiles()
    expect(files.length).toBeGreaterThan(0)
    const result = await runTool(promtool, ['test', 'rules', ...files])
    expect(result.stdout + result.stderr, 'promtool test rules output').not.toContain('FAILED')
    expect(result.code).toBe(0)
  })
})
