import { readFileSync } from 'node:fs'
import { FinalError, waitFor } from '../../helpers/wait-for.js'
import type { ControlPlane } from './control-plane.js'
import type { Resource } from './objects.js'

// What the cluster tests ask the control plane: namespaces under the `restricted` Pod Security
// Standard, every object in a namespace, the Pods the Deployments made, and what the API server
// warned about or recorded.

/** The Pod Security Standard every test namespace enforces, warns about and audits. */
export const POD_SECURITY_LABELS = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/audit': 'restricted',
}

/** Bounded waits for the controllers, generous for a loaded 2-core machine. */
export const SETTLE_TIMEOUT_MS = 120_000

/** Polls `check` until the cluster settles into what it waits for, for at most SETTLE_TIMEOUT_MS. */
const settleCluster = <T>(what: string, check: () => Promise<T | undefined>) =>
  waitFor(what, check, SETTLE_TIMEOUT_MS, 500)

/** Creates a namespace labelled for `restricted`, once its `default` ServiceAccount exists. */
export async function createRestrictedNamespace(cluster: ControlPlane, name: string): Promise<void> {
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: POD_SECURITY_LABELS } }
  await applyObjects(cluster, [namespace])
  // Pods that name no ServiceAccount get `default`; the controller manager makes it just after.
  await settleCluster(`the default ServiceAccount of namespace ${name}`, async () =>
    (await cluster.kubectl(['get', 'serviceaccount', 'default', '-n', name])).code === 0 ? true : undefined,
  )
}

/** Objects as one JSON List for kubectl: JSON means the same to every parser, as YAML does not. */
export const asList = (objects: object[]) =>
  JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects })

/** Applies objects server-side as the tests' own field manager; fails on an error or a warning. */
export async function applyObjects(
  cluster: ControlPlane,
  objects: object[],
  namespace?: string,
): Promise<void> {
  const args = ['apply', '--server-side', '--field-manager=tests', '-f', '-']
  if (namespace) args.push('-n', namespace)
  const result = await cluster.kubectl(args, asList(objects))
  if (result.code !== 0 || warnings(result.stderr).length > 0) {
    throw new Error(`kubectl apply exited ${result.code}:\n${result.stderr}`)
  }
}

/** The warnings a tool printed from the API server (kubectl's `Warning:` lines, client-go's log lines). */
export function warnings(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => /^Warning:|warnings\.go|would violate PodSecurity|deprecated/i.test(line))
}

/** The namespaced kinds that can be listed, as kubectl names them (events left out). */
async function listableKinds(cluster: ControlPlane): Promise<string[]> {
  const kinds = await cluster.kubectlOk(['api-resources', '--verbs=list', '--namespaced', '-o', 'name'])
  return kinds.split('\n').filter((kind) => kind !== '' && !/^events(\.events\.k8s\.io)?$/.test(kind))
}

/** Every object in a namespace, of every kind that can be listed but events. */
export async function everything(cluster: ControlPlane, namespace: string): Promise<Resource[]> {
  const kinds = await listableKinds(cluster)
  const list = JSON.parse(await cluster.kubectlOk(['get', kinds.join(','), '-n', namespace, '-o', 'json']))
  return list.items as Resource[]
}

/** The objects of some kinds in a namespace. */
export async function getObjects(
  cluster: ControlPlane,
  namespace: string,
  kinds: string[],
): Promise<Resource[]> {
  const list = JSON.parse(await cluster.kubectlOk(['get', kinds.join(','), '-n', namespace, '-o', 'json']))
  return list.items as Resource[]
}

/** An object as the server has it, or undefined when it does not exist. */
export async function getObject(
  cluster: ControlPlane,
  kind: string,
  name: string,
  namespace?: string,
): Promise<Resource | undefined> {
  const args = ['get', kind, name, '-o', 'json']
  if (namespace) args.push('-n', namespace)
  const result = await cluster.kubectl(args)
  if (result.code !== 0) {
    if (/NotFound|not found/.test(result.stderr)) return undefined
    throw new Error(`kubectl ${args.join(' ')} exited ${result.code}:\n${result.stderr}`)
  }
  return JSON.parse(result.stdout) as Resource
}

/**
 * The warning events about a namespace's workloads: a Pod that admission refused is a FailedCreate
 * event on its ReplicaSet. (Other objects' events are left out: a new API server's repair loop for
 * Service IPs can report a Service it has not caught up with yet, ClusterIPNotAllocated, and mends it.)
 */
export async function workloadWarnings(cluster: ControlPlane, namespace: string): Promise<string[]> {
  const list = JSON.parse(
    await cluster.kubectlOk([
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector=type=Warning',
      '-o',
      'json',
    ]),
  )
  return (list.items as Resource[])
    .filter((event) => ['Deployment', 'ReplicaSet', 'Pod'].includes(event.involvedObject?.kind ?? ''))
    .map(
      (event) =>
        `${event.involvedObject?.kind} ${event.involvedObject?.name}: ${event.reason}: ${event.message}`,
    )
}

const ownedBy = (object: Resource, owner: Resource) =>
  object.metadata.ownerReferences?.some((reference) => reference.uid === owner.metadata.uid) ?? false

/**
 * Waits until every Deployment of the namespace has rolled its current template out as far as a cluster
 * without nodes lets it: its current ReplicaSet has made all the Pods it wants (admission accepted
 * them). Fails at once on a warning event (FailedCreate: admission refused a Pod) or a ReplicaSet's
 * ReplicaFailure condition. Returns the Pods of the current ReplicaSets.
 */
export async function waitForAdmittedPods(cluster: ControlPlane, namespace: string): Promise<Resource[]> {
  return settleCluster(`the Deployments of ${namespace} to make their Pods`, async () => {
    const refused = await workloadWarnings(cluster, namespace)
    if (refused.length > 0) throw new FinalError(`warning events in ${namespace}:\n${refused.join('\n')}`)
    const objects = await getObjects(cluster, namespace, ['deployments', 'replicasets', 'pods'])
    const pods: Resource[] = []
    for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
      if ((deployment.status?.observedGeneration ?? 0) < (deployment.metadata.generation ?? 1))
        return undefined
      const revision = deployment.metadata.annotations?.['deployment.kubernetes.io/revision']
      const current = objects.find(
        (o) =>
          o.kind === 'ReplicaSet' &&
          ownedBy(o, deployment) &&
          o.metadata.annotations?.['deployment.kubernetes.io/revision'] === revision,
      )
      if (!current) return undefined
      const failure = (current.status?.conditions ?? []).find(
        (c: { type: string }) => c.type === 'ReplicaFailure',
      )
      if (failure)
        throw new FinalError(`ReplicaSet ${current.metadata.name}: ${failure.reason}: ${failure.message}`)
      const wanted: number = current.spec.replicas
      const made = objects.filter((o) => o.kind === 'Pod' && ownedBy(o, current))
      if (wanted === 0 || made.length !== wanted || current.status?.replicas !== wanted) return undefined
      pods.push(...made)
    }
    return pods
  })
}

/** Waits until the namespace holds nothing but what `keep` accepts; returns what is left (kind and name). */
export async function waitForEmpty(
  cluster: ControlPlane,
  namespace: string,
  keep: (object: Resource) => boolean,
): Promise<string[]> {
  let left: Resource[] = []
  try {
    await settleCluster(`namespace ${namespace} to be emptied`, async () => {
      left = (await everything(cluster, namespace)).filter((object) => !keep(object))
      return left.length === 0 ? true : undefined
    })
  } catch {}
  return left.map((object) => `${object.kind} ${object.metadata.name}`)
}

/** An audit event's annotations. */
interface AuditEvent {
  verb: string
  objectRef?: { resource?: string; namespace?: string; name?: string }
  annotations?: Record<string, string>
}

/**
 * What the audit log recorded against the given namespaces: PodSecurity's audit violations (of Pods
 * and of the Pod templates of workloads) and uses of deprecated APIs.
 */
export function auditFindings(cluster: ControlPlane, namespaces: string[]): string[] {
  const findings: string[] = []
  for (const line of readFileSync(cluster.auditLog, 'utf8').split('\n')) {
    if (line === '') continue
    const event = JSON.parse(line) as AuditEvent
    if (!namespaces.includes(event.objectRef?.namespace ?? '')) continue
    const annotations = event.annotations ?? {}
    for (const key of ['pod-security.kubernetes.io/audit-violations', 'k8s.io/deprecated']) {
      if (annotations[key] !== undefined) {
        const { resource, namespace, name } = event.objectRef ?? {}
        findings.push(`${event.verb} ${resource} ${namespace}/${name}: ${key}=${annotations[key]}`)
      }
    }
  }
  return findings
}
