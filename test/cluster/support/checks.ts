import { expect } from 'vitest'
import type { KubeObject } from '../../deploy/kustomize.js'
import { auditFindings, getObject, waitForAdmittedPods } from './cluster.js'
import type { ControlPlane } from './control-plane.js'
import { changedByServer, type Resource, wiringProblems } from './objects.js'

// The checks that every installed set of objects passes, whichever tool installed it.

/** Reads each sent object back; each must exist and hold what was sent. Returns them as the server has them. */
export async function readBack(
  cluster: ControlPlane,
  sent: KubeObject[],
  namespace: string,
): Promise<Resource[]> {
  const got: Resource[] = []
  for (const object of sent) {
    const where = (object.metadata as { namespace?: string }).namespace ?? namespace
    const server = await getObject(cluster, object.kind, object.metadata.name, where)
    expect(server, `${object.kind} ${where}/${object.metadata.name} on the server`).toBeDefined()
    if (!server) continue
    expect(
      changedByServer(object, server),
      `${object.kind} ${object.metadata.name} as the server keeps it`,
    ).toEqual([])
    got.push(server)
  }
  return got
}

/**
 * The objects, read back, are in force: every Deployment's current ReplicaSet made its Pods (admitted
 * under `restricted`): after a fresh install as many as the Deployment asks for; after an upgrade or a
 * rollback as many as the rollout has reached, which without nodes (no Pod ever becomes available)
 * stops at the surge. Every Service, monitor, NetworkPolicy, PodDisruptionBudget and
 * Ingress finds what it refers to; the audit log has no PodSecurity violation or deprecated API.
 */
export async function expectInForce(
  cluster: ControlPlane,
  sent: KubeObject[],
  namespace: string,
  options: { fresh: boolean; auditedNamespaces?: string[] },
): Promise<Resource[]> {
  const objects = await readBack(cluster, sent, namespace)
  const pods = await waitForAdmittedPods(cluster, namespace)
  const deployments = objects.filter((o) => o.kind === 'Deployment')
  if (options.fresh) {
    const wanted = deployments.reduce((sum, deployment) => sum + (deployment.spec.replicas ?? 1), 0)
    expect(pods.length, 'Pods made by the ReplicaSets').toBe(wanted)
  } else {
    expect(pods.length, 'Pods made by the current ReplicaSets').toBeGreaterThanOrEqual(deployments.length)
  }
  expect(wiringProblems(objects, pods)).toEqual([])
  expect(auditFindings(cluster, options.auditedNamespaces ?? [namespace])).toEqual([])
  return objects
}
