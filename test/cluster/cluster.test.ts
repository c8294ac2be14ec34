import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pinnedRelease } from '../helpers/tools.js'
import { chartTests } from './chart.cases.js'
import { exampleTests } from './examples.cases.js'
import { type ControlPlane, startControlPlane } from './support/control-plane.js'

// The Helm chart and the kustomize examples on a real Kubernetes API server (docs/kubernetes.md,
// "Validation"): one control plane for the whole file, started and stopped here, the chart's values
// files and the examples run one after the other against it.

// Each step waits on the cluster's state, each wait bounded (control-plane.ts, support/cluster.ts); the
// timeouts here only bound those waits added up, on a loaded 2-core machine.
describe('a Kubernetes control plane of the pinned release', { timeout: 300_000 }, () => {
  let cluster: ControlPlane | undefined
  const getCluster = () => {
    if (!cluster) throw new Error('the control plane did not start')
    return cluster
  }

  beforeAll(async () => {
    cluster = await startControlPlane()
  }, 600_000)

  afterAll(async () => {
    await cluster?.stop()
  }, 60_000)

  it('serves the pinned Kubernetes release, which helm accepts for the chart', async () => {
    const version = JSON.parse(await getCluster().kubectlOk(['version', '-o', 'json']))
    expect(version.serverVersion.gitVersion).toBe(`v${pinnedRelease('KUBERNETES')}`)
    expect(version.clientVersion.gitVersion).toBe(`v${pinnedRelease('KUBERNETES')}`)
  })

  chartTests(getCluster)
  exampleTests(getCluster)
})
