import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { pinnedRelease } from '../helpers/tools.js'
import { repoRoot } from './paths.js'

describe("the README's Tested with section", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  const section = /^## Tested with\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? ''

  it('names the releases pinned in tools/versions.env, which the tests run', () => {
    expect(section).toContain(`Prometheus ${pinnedRelease('PROMETHEUS')}`)
    expect(section).toContain(`Alertmanager ${pinnedRelease('ALERTMANAGER')}`)
    expect(section).toContain(`helm v${pinnedRelease('HELM')}`)
    expect(section).toContain(`kustomize v${pinnedRelease('KUSTOMIZE')}`)
    expect(section).toContain(`Kubernetes v${pinnedRelease('KUBERNETES')}`)
    expect(section).toContain(`etcd ${pinnedRelease('ETCD')}`)
    expect(section).toContain(`Prometheus Operator v${pinnedRelease('PROMETHEUS_OPERATOR')} CRDs`)
  })

  it('asks for the Go that tools/versions.env says the tools need', () => {
    const go = /^GO=(\S+)$/m.exec(readFileSync(join(repoRoot, 'tools/versions.env'), 'utf8'))?.[1]
    expect(go).toBeDefined()
    expect(readme.replaceAll(/\s+/g, ' ')).toContain(`Go ${go} or newer`)
  })
})
