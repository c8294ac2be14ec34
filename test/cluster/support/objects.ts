// Plain functions over Kubernetes objects as the API server returns them: label selectors, ports,
// what a Service, monitor, NetworkPolicy or Ingress refers to, and whether the server kept what was sent.

/** An object read from the API server, kept as plain data. */
export interface Resource {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    uid?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    resourceVersion?: string
    generation?: number
    ownerReferences?: Array<{ kind: string; name: string; uid: string }>
  }
  // biome-ignore lint/suspicious/noExplicitAny: server objects, checked field by field by the tests
  spec?: any
  // biome-ignore lint/suspicious/noExplicitAny: as spec
  status?: any
  data?: Record<string, string>
  type?: string
  // Events
  reason?: string
  message?: string
  involvedObject?: { kind: string; name: string }
}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{
    key: string
    operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'
    values?: string[]
  }>
}

/** Whether a label selector selects an object with these labels (an empty selector selects all). */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string> = {}): boolean {
  for (const [key, value] of Object.entries(selector?.matchLabels ?? {})) {
    if (labels[key] !== value) return false
  }
  for (const { key, operator, values = [] } of selector?.matchExpressions ?? []) {
    const present = key in labels
    const matched =
      operator === 'In'
        ? present && values.includes(labels[key] ?? '')
        : operator === 'NotIn'
          ? !present || !values.includes(labels[key] ?? '')
          : operator === 'Exists'
            ? present
            : !present
    if (!matched) return false
  }
  return true
}

interface ContainerPort {
  name?: string
  containerPort: number
}

/** The ports a Pod serves on: its containers' and its sidecars' (init containers that keep running). */
export function podPorts(pod: Resource): ContainerPort[] {
  const containers = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []).filter(
      (c: { restartPolicy?: string }) => c.restartPolicy === 'Always',
    ),
  ] as Array<{ ports?: ContainerPort[] }>
  return containers.flatMap((container) => container.ports ?? [])
}

/** Whether a port given by name or number (a targetPort, a monitor's port) is one the Pod serves on. */
function podHasPort(pod: Resource, port: string | number): boolean {
  return podPorts(pod).some((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port))
}

const ofKind = (objects: Resource[], kind: string) => objects.filter((o) => o.kind === kind)
const describe = (o: Resource) => `${o.kind} ${o.metadata.name}`

/**
 * What the objects refer to and cannot find among themselves and the Pods: every Service, monitor,
 * NetworkPolicy, PodDisruptionBudget and Ingress must select something and name ports that exist.
 */
export function wiringProblems(objects: Resource[], pods: Resource[]): string[] {
  const problems: string[] = []
  const podsSelectedBy = (selector: LabelSelector | undefined) =>
    pods.filter((pod) => selects(selector, pod.metadata.labels))
  const services = ofKind(objects, 'Service')

  for (const service of services) {
    const selected = podsSelectedBy({ matchLabels: service.spec.selector })
    if (selected.length === 0) problems.push(`${describe(service)} selects no Pod`)
    for (const port of service.spec.ports ?? []) {
      const target = port.targetPort ?? port.port
      if (!selected.some((pod) => podHasPort(pod, target))) {
        problems.push(
          `${describe(service)} port ${port.name ?? port.port} targets ${target}, which no selected Pod serves`,
        )
      }
    }
  }

  for (const monitor of ofKind(objects, 'ServiceMonitor')) {
    const namespaces: string[] | undefined = monitor.spec.namespaceSelector?.matchNames
    if (namespaces && !namespaces.includes(monitor.metadata.namespace ?? '')) {
      problems.push(`${describe(monitor)} looks in ${namespaces.join(', ')}, not its own namespace`)
    }
    const selected = services.filter((service) => selects(monitor.spec.selector, service.metadata.labels))
    if (selected.length === 0) problems.push(`${describe(monitor)} selects no Service`)
    for (const endpoint of monitor.spec.endpoints ?? []) {
      if (
        endpoint.port !== undefined &&
        !selected.some((s) => s.spec.ports?.some((p: { name?: string }) => p.name === endpoint.port))
      ) {
        problems.push(`${describe(monitor)} scrapes port ${endpoint.port}, which no selected Service has`)
      }
    }
  }

  for (const monitor of ofKind(objects, 'PodMonitor')) {
    const selected = podsSelectedBy(monitor.spec.selector)
    if (selected.length === 0) problems.push(`${describe(monitor)} selects no Pod`)
    for (const endpoint of monitor.spec.podMetricsEndpoints ?? []) {
      const port = endpoint.port ?? endpoint.portNumber
      if (!selected.some((pod) => podHasPort(pod, port))) {
        problems.push(`${describe(monitor)} scrapes port ${port}, which no selected Pod serves`)
      }
    }
  }

  for (const policy of ofKind(objects, 'NetworkPolicy')) {
    const selected = podsSelectedBy(policy.spec.podSelector)
    if (selected.length === 0) problems.push(`${describe(policy)} selects no Pod`)
    for (const rule of policy.spec.ingress ?? []) {
      for (const { port } of rule.ports ?? []) {
        if (port !== undefined && !selected.some((pod) => podHasPort(pod, port))) {
          problems.push(`${describe(policy)} allows port ${port}, which no selected Pod serves`)
        }
      }
    }
  }

  for (const budget of ofKind(objects, 'PodDisruptionBudget')) {
    if (podsSelectedBy(budget.spec.selector).length === 0) problems.push(`${describe(budget)} selects no Pod`)
  }

  for (const ingress of ofKind(objects, 'Ingress')) {
    for (const rule of ingress.spec.rules ?? []) {
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service
        const service = services.find((s) => s.metadata.name === backend.name)
        const port = backend.port.name ?? backend.port.number
        if (!service)
          problems.push(
            `${describe(ingress)} routes ${path.path} to Service ${backend.name}, which does not exist`,
          )
        else if (
          !service.spec.ports.some((p: { name?: string; port: number }) => p.name === port || p.port === port)
        ) {
          problems.push(
            `${describe(ingress)} routes ${path.path} to port ${port}, which Service ${backend.name} lacks`,
          )
        }
      }
    }
  }
  return problems
}

/**
 * Where the object read back from the server lost or changed what was sent: every value sent must be
 * there, unchanged (the server may add defaults, but must not drop a field it did not know, as a CRD's
 * schema prunes them). A Secret's data is compared decoded (kustomize wraps its base64 in lines), and
 * its stringData as the base64 data the server turns it into.
 */
export function changedByServer(sent: unknown, got: unknown, path = ''): string[] {
  if (path === '' && isRecord(sent) && sent.kind === 'Secret') {
    const { stringData, data, ...rest } = sent
    // Re-encoded from the bytes: kustomize's line breaks go, stringData becomes data.
    const base64 = (value: unknown, encoding: 'base64' | 'utf8') =>
      Buffer.from(String(value), encoding).toString('base64')
    const normalized = {
      ...Object.fromEntries(
        Object.entries(isRecord(data) ? data : {}).map(([k, v]) => [k, base64(v, 'base64')]),
      ),
      ...Object.fromEntries(
        Object.entries(isRecord(stringData) ? stringData : {}).map(([k, v]) => [k, base64(v, 'utf8')]),
      ),
    }
    return changedByServer({ ...rest, data: normalized }, got, '.')
  }
  if (Array.isArray(sent)) {
    if (!Array.isArray(got) || got.length !== sent.length)
      return [`${path}: sent ${sent.length} items, got ${JSON.stringify(got)}`]
    return sent.flatMap((item, index) => changedByServer(item, got[index], `${path}[${index}]`))
  }
  if (isRecord(sent)) {
    if (!isRecord(got)) return [`${path}: sent an object, got ${JSON.stringify(got)}`]
    const prefix = path === '.' ? '' : path
    return Object.entries(sent).flatMap(([key, value]) =>
      changedByServer(value, got[key], `${prefix}.${key}`),
    )
  }
  if (sent === null && got === undefined) return []
  return sent === got ? [] : [`${path}: sent ${JSON.stringify(sent)}, got ${JSON.stringify(got)}`]
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
