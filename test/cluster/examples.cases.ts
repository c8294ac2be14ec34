import { basename } from 'node:path'
import { describe, expect, it } from 'vitest'
import { EXAMPLES, type KubeObject, kustomizeBuild } from '../deploy/kustomize.js'
import { withUserSecrets } from '../deploy/user-secrets.js'
import { expectInForce } from './support/checks.js'
import {
  applyObjects,
  createRestrictedNamespace,
  getObjects,
  waitForEmpty,
  warnings,
} from './support/cluster.js'
import type { ControlPlane } from './support/control-plane.js'
import type { Resource } from './support/objects.js'

// Every kustomize example as a user applies it: `kustomize build | kubectl apply --server-side` into a
// namespace that enforces `restricted`, applied again with nothing to change, then deleted.

/**
 * What a second apply of the same objects would change: the object's spec (generation), the fields
 * kubectl's apply owns (the time of its managed-fields entry), and for kinds that no controller writes
 * to, the object at all (resourceVersion).
 */
function applyState(object: Resource): string {
  const managed = (
    object.metadata as { managedFields?: Array<{ manager: string; operation: string; time: string }> }
  ).managedFields
  const apply = managed?.find((m) => m.manager === 'kubectl' && m.operation === 'Apply')
  const controlled = object.kind === 'Deployment'
  return JSON.stringify({
    generation: object.metadata.generation,
    applied: apply?.time,
    resourceVersion: controlled ? undefined : object.metadata.resourceVersion,
  })
}

const kindsOf = (objects: KubeObject[]) => [...new Set(objects.map((o) => o.kind.toLowerCase()))]

export function exampleTests(getCluster: () => ControlPlane): void {
  describe.each(EXAMPLES)('the kustomize example %s on a real API server', (example) => {
    const namespace = `example-${basename(example)}`
    let objects: KubeObject[] = []
    // kustomize's output as it printed it, which kubectl reads as a user's pipe would hand it over.
    let yaml = ''
    // The Secrets the docs have the user (or cert-manager) make, which the example does not render.
    const userSecrets = withUserSecrets([])

    const kubectlApply = async (cluster: ControlPlane) => {
      const result = await cluster.kubectl(['apply', '--server-side', '-n', namespace, '-f', '-'], yaml)
      expect(result.code, result.stderr).toBe(0)
      expect(warnings(result.stderr)).toEqual([])
      return result.stdout
    }

    it('applies server-side into a restricted namespace; the objects are on the server and the Pods admitted', async () => {
      const cluster = getCluster()
      const rendered = await kustomizeBuild(example)
      expect(rendered.stderr).toBe('')
      objects = rendered.objects
      yaml = rendered.yaml
      await createRestrictedNamespace(cluster, namespace)
      const rendersSecret = new Set(objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name))
      await applyObjects(
        cluster,
        userSecrets.filter((s) => !rendersSecret.has(s.metadata.name)),
        namespace,
      )
      await kubectlApply(cluster)
      await expectInForce(cluster, objects, namespace, { fresh: true })
    })

    it('applies again with nothing to change', async () => {
      const cluster = getCluster()
      const diff = await cluster.kubectl(['diff', '--server-side', '-n', namespace, '-f', '-'], yaml)
      // kubectl diff: 0 when nothing would change, 1 when something would.
      expect(diff.code, `kubectl diff:\n${diff.stdout}${diff.stderr}`).toBe(0)
      const before = await getObjects(cluster, namespace, kindsOf(objects))
      await kubectlApply(cluster)
      const after = await getObjects(cluster, namespace, kindsOf(objects))
      const state = (list: Resource[]) =>
        Object.fromEntries(list.map((o) => [`${o.kind} ${o.metadata.name}`, applyState(o)]))
      expect(state(after)).toEqual(state(before))
    })

    it('deletes, leaving nothing behind', async () => {
      const cluster = getCluster()
      const result = await cluster.kubectl(['delete', '-n', namespace, '-f', '-'], yaml)
      expect(result.code, result.stderr).toBe(0)
      expect(warnings(result.stderr)).toEqual([])
      const keep = (o: Resource) =>
        (o.kind === 'Secret' && userSecrets.some((s) => s.metadata.name === o.metadata.name)) ||
        (o.kind === 'ServiceAccount' && o.metadata.name === 'default')
      expect(await waitForEmpty(cluster, namespace, keep)).toEqual([])
    })
  })
}
