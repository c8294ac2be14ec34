import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { CHART_PATH, ciValuesFiles, RELEASE } from '../deploy/helm.js'
import { type KubeObject, parseObjects, REPO_ROOT } from '../deploy/kustomize.js'
import { withUserSecrets } from '../deploy/user-secrets.js'
import { findTool, runTool, type ToolResult } from '../helpers/tools.js'
import { expectInForce } from './support/checks.js'
import {
  applyObjects,
  createRestrictedNamespace,
  getObject,
  waitForEmpty,
  warnings,
} from './support/cluster.js'
import type { ControlPlane } from './support/control-plane.js'

// The Helm chart's life on a real API server, for every values file of charts/tencent-chat-exporter/ci:
// installed (real, not a dry run) into a namespace that enforces `restricted`, upgraded to the next
// values file, rolled back to the first revision and uninstalled, each step checked on the server.

/** The namespace the `everything` values put the Grafana dashboards' ConfigMaps in. */
const DASHBOARDS_NAMESPACE = 'grafana'

/**
 * What the `everything` values assume the cluster has: the PriorityClass its Pods ask for (without it
 * the Priority admission plugin refuses them).
 */
const CLUSTER_PREREQUISITES = [
  {
    apiVersion: 'scheduling.k8s.io/v1',
    kind: 'PriorityClass',
    metadata: { name: 'high-priority' },
    value: 1000,
    description: 'The class ci/everything-values.yaml names.',
  },
]

async function helm(cluster: ControlPlane, args: string[]): Promise<ToolResult> {
  return runTool(findTool('helm'), args, { env: cluster.env(), cwd: REPO_ROOT, timeoutMs: 180_000 })
}

/** Runs helm; fails with its output unless it exits 0 without a warning from the API server. */
async function helmOk(cluster: ControlPlane, args: string[]): Promise<string> {
  const result = await helm(cluster, args)
  expect(result.code, `helm ${args.join(' ')}:\n${result.stderr}`).toBe(0)
  expect(warnings(result.stderr), `helm ${args.join(' ')}`).toEqual([])
  return result.stdout
}

/** The objects of the release's current revision, as helm rendered them. */
async function releaseManifest(cluster: ControlPlane, namespace: string): Promise<KubeObject[]> {
  return parseObjects(await helmOk(cluster, ['get', 'manifest', RELEASE, '--namespace', namespace]))
}

const key = (o: KubeObject) =>
  `${o.kind}/${(o.metadata as { namespace?: string }).namespace ?? ''}/${o.metadata.name}`

/** Objects that were in `before` and are not in `after` are gone from the server. */
async function expectRemoved(
  cluster: ControlPlane,
  before: KubeObject[],
  after: KubeObject[],
  namespace: string,
) {
  const kept = new Set(after.map(key))
  for (const object of before.filter((o) => !kept.has(key(o)))) {
    const where = (object.metadata as { namespace?: string }).namespace ?? namespace
    expect(
      await getObject(cluster, object.kind, object.metadata.name, where),
      `${key(object)} removed`,
    ).toBeUndefined()
  }
}

export function chartTests(getCluster: () => ControlPlane): void {
  const files = ciValuesFiles()

  describe('the Helm chart on a real API server', () => {
    beforeAll(async () => {
      const cluster = getCluster()
      await applyObjects(cluster, CLUSTER_PREREQUISITES)
      await createRestrictedNamespace(cluster, DASHBOARDS_NAMESPACE)
    }, 300_000)

    describe.each(files.map((file, index) => [file, files[(index + 1) % files.length] ?? file]))(
      'with ci/%s, upgraded to ci/%s',
      (file, next) => {
        const namespace = `chart-${file.replace(/-values\.yaml$/, '')}`
        const values = (name: string) => ['--values', join(CHART_PATH, 'ci', name)]
        const audited = [namespace, DASHBOARDS_NAMESPACE]
        // The Secrets the docs have the user make beforehand (those the values name but do not render).
        const userSecrets = withUserSecrets([]).map((secret) => secret.metadata.name)
        let installed: KubeObject[] = []
        let upgraded: KubeObject[] = []

        it('installs into a restricted namespace; the objects are on the server and the Pods admitted', async () => {
          const cluster = getCluster()
          await createRestrictedNamespace(cluster, namespace)
          await applyObjects(cluster, withUserSecrets([]), namespace)
          await helmOk(cluster, ['install', RELEASE, CHART_PATH, '--namespace', namespace, ...values(file)])
          installed = await releaseManifest(cluster, namespace)
          expect(installed.length).toBeGreaterThan(0)
          await expectInForce(cluster, installed, namespace, { fresh: true, auditedNamespaces: audited })
        })

        it(`upgrades to ci/${next}: its objects replace the first ones and its Pods are admitted`, async () => {
          const cluster = getCluster()
          await helmOk(cluster, ['upgrade', RELEASE, CHART_PATH, '--namespace', namespace, ...values(next)])
          upgraded = await releaseManifest(cluster, namespace)
          await expectInForce(cluster, upgraded, namespace, { fresh: false, auditedNamespaces: audited })
          await expectRemoved(cluster, installed, upgraded, namespace)
        })

        it('rolls back to the first revision', async () => {
          const cluster = getCluster()
          await helmOk(cluster, ['rollback', RELEASE, '1', '--namespace', namespace])
          const rolledBack = await releaseManifest(cluster, namespace)
          expect(rolledBack.map(key).sort()).toEqual(installed.map(key).sort())
          await expectInForce(cluster, rolledBack, namespace, { fresh: false, auditedNamespaces: audited })
          await expectRemoved(cluster, upgraded, rolledBack, namespace)
        })

        it('uninstalls, leaving nothing of the release behind', async () => {
          const cluster = getCluster()
          await helmOk(cluster, ['uninstall', RELEASE, '--namespace', namespace])
          const isUsers = (o: { kind: string; metadata: { name: string } }) =>
            (o.kind === 'Secret' && userSecrets.includes(o.metadata.name)) ||
            (o.kind === 'ServiceAccount' && o.metadata.name === 'default')
          expect(await waitForEmpty(cluster, namespace, isUsers), `left in ${namespace}`).toEqual([])
          expect(
            await waitForEmpty(cluster, DASHBOARDS_NAMESPACE, isUsers),
            `left in ${DASHBOARDS_NAMESPACE}`,
          ).toEqual([])
        })
      },
    )
  })
}
