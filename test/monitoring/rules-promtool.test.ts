import { describe, expect, it } from 'vitest'
import { findPrometheus2x, findTool, pinnedRelease, runTool, toolVersion } from '../helpers/tools.js'
import { promtoolTestFiles, readYaml, rulesFile } from './paths.js'

interface RulesFile {
  groups: Array<{ rules: Array<{ alert?: string; record?: string }> }>
}

// Both lines: the current release the project pins, and Prometheus 2.x for users not yet on 3.
describe.each([
  {
    line: 'the pinned Prometheus 3.x',
    promtool: () => findTool('promtool'),
    version: pinnedRelease('PROMETHEUS'),
  },
  { line: 'Prometheus 2.x', promtool: () => findPrometheus2x('promtool'), version: /^2\./ },
])('Prometheus rules under the promtool of $line', ({ promtool: find, version }) => {
  const promtool = find()

  it(`is that promtool (${promtool})`, async () => {
    const reported = await toolVersion(promtool)
    if (typeof version === 'string') expect(reported).toBe(version)
    else expect(reported).toMatch(version)
  })

  it('pass promtool check rules, duplicate-rule lint fatal', async () => {
    const result = await runTool(promtool, ['check', 'rules', '--lint=all', '--lint-fatal', rulesFile])
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
    for (const file of files) expect(result.stdout + result.stderr).toContain(file)
    expect(result.code).toBe(0)
  })
})
