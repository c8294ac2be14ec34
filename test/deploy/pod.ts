import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Config, loadConfig } from '../../src/config/config.js'
import { findObject, type KubeObject } from './kustomize.js'
import type { ScrapeEndpoint } from './scrape.js'
import { withUserSecrets } from './user-secrets.js'

export const EXPORTER_CONTAINER = 'tencent-chat-exporter'
/** The released image, as the chart and the kustomize examples name it. */
export const IMAGE = 'ghcr.io/tencent-chat-exporter/tencent-chat-exporter'

/** The exporter container's securityContext: the restricted Pod Security Standard, as the image's nobody. */
export const RESTRICTED_SECURITY_CONTEXT = {
  runAsNonRoot: true,
  runAsUser: 65534,
  runAsGroup: 65534,
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
}

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML, checked field by field by the tests
export type Container = Record<string, any>

/** The Deployment that carries the exporter sidecar, with its Pod spec and the exporter container. */
export interface SidecarPod {
  deployment: KubeObject
  labels: Record<string, string>
  // biome-ignore lint/suspicious/noExplicitAny: rendered YAML
  podSpec: Record<string, any>
  exporter: Container
  /** Whether the exporter is a native sidecar (an init container with restartPolicy: Always). */
  native: boolean
  /** The Pod's other containers: the app. */
  appContainers: Container[]
}

export function findSidecarPod(objects: KubeObject[]): SidecarPod {
  for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
    const podSpec = deployment.spec.template.spec
    const containers: Container[] = podSpec.containers ?? []
    const initContainers: Container[] = podSpec.initContainers ?? []
    const inMain = containers.find((c) => c.name === EXPORTER_CONTAINER)
    const inInit = initContainers.find((c) => c.name === EXPORTER_CONTAINER)
    const exporter = inMain ?? inInit
    if (!exporter) continue
    return {
      deployment,
      labels: deployment.spec.template.metadata?.labels ?? {},
      podSpec,
      exporter,
      native: inInit !== undefined,
      appContainers: containers.filter((c) => c !== exporter),
    }
  }
  throw new Error(`no Deployment with a ${EXPORTER_CONTAINER} container among the rendered objects`)
}

/** The container port that a probe, Service or monitor names (by port name or number). */
export function containerPort(container: Container, port: string | number): number {
  if (typeof port === 'number') return port
  const named = (container.ports ?? []).find((p: { name?: string }) => p.name === port)
  if (!named) throw new Error(`container ${container.name} has no port named ${port}`)
  return named.containerPort
}

export function matchesSelector(
  matchLabels: Record<string, string>,
  labels: Record<string, string>,
): boolean {
  return Object.entries(matchLabels).every(([key, value]) => labels[key] === value)
}

function decodeSecret(secret: KubeObject, key: string): string {
  const data = (secret as { data?: Record<string, string> }).data?.[key]
  if (data === undefined) throw new Error(`Secret ${secret.metadata.name} has no key ${key}`)
  return Buffer.from(data, 'base64').toString('utf8')
}

/**
 * The environment the kubelet would give the exporter container: `env` values, `valueFrom` and
 * `envFrom` resolved against the rendered ConfigMaps and Secrets, and every Secret or ConfigMap
 * volume it mounts written under `root`, with env values that point into a mount rewritten to match.
 */
export function containerEnvironment(
  objects: KubeObject[],
  pod: SidecarPod,
  container: Container,
  root: string,
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef)
      Object.assign(env, findObject(objects, 'ConfigMap', source.configMapRef.name).data)
    if (source.secretRef) {
      const secret = findObject(objects, 'Secret', source.secretRef.name)
      for (const key of Object.keys(secret.data ?? {})) env[key] = decodeSecret(secret, key)
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = String(variable.value)
    else if (variable.valueFrom?.configMapKeyRef) {
      const ref = variable.valueFrom.configMapKeyRef
      const value = findObject(objects, 'ConfigMap', ref.name).data?.[ref.key]
      // As the kubelet does: a missing key of a required reference keeps the container from starting.
      if (value === undefined && !ref.optional) throw new Error(`ConfigMap ${ref.name} has no key ${ref.key}`)
      if (value !== undefined) env[variable.name] = value
    } else if (variable.valueFrom?.secretKeyRef) {
      const ref = variable.valueFrom.secretKeyRef
      env[variable.name] = decodeSecret(findObject(objects, 'Secret', ref.name), ref.key)
    } else throw new Error(`env ${variable.name}: unsupported source`)
  }

  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.podSpec.volumes ?? []).find((v: { name: string }) => v.name === mount.name)
    if (!volume) throw new Error(`volumeMount ${mount.name} has no volume`)
    const local = join(root, mount.mountPath)
    mkdirSync(local, { recursive: true })
    // A volume's `items` picks keys and names their files; without it, every key is a file.
    const files = (keys: string[], items?: Array<{ key: string; path: string }>) =>
      items ?? keys.map((key) => ({ key, path: key }))
    if (volume.secret) {
      const secret = findObject(objects, 'Secret', volume.secret.secretName)
      for (const { key, path } of files(Object.keys(secret.data ?? {}), volume.secret.items))
        writeFileSync(join(local, path), decodeSecret(secret, key))
    } else if (volume.configMap) {
      const configMap = findObject(objects, 'ConfigMap', volume.configMap.name)
      for (const { key, path } of files(Object.keys(configMap.data ?? {}), volume.configMap.items)) {
        const value = configMap.data?.[key]
        if (value === undefined) throw new Error(`ConfigMap ${configMap.metadata.name} has no key ${key}`)
        writeFileSync(join(local, path), value)
      }
    }
    for (const [name, value] of Object.entries(env)) {
      if (value.startsWith(`${mount.mountPath}/`))
        env[name] = join(local, value.slice(mount.mountPath.length))
    }
  }
  return env
}

/** The exporter container of rendered objects, as the kubelet would start it. */
export interface ExporterInPod {
  /** The rendered objects and the user's Secrets. */
  objects: KubeObject[]
  pod: SidecarPod
  exporter: Container
  env: Record<string, string>
  /** The configuration the binary loads from `env`. */
  config: Config
}

/**
 * The exporter of the rendered objects once the user's Secrets exist: its container's environment
 * (mounts written under `root`) and the configuration the binary would load from it.
 */
export function exporterInPod(rendered: KubeObject[], root: string): ExporterInPod {
  const objects = withUserSecrets(rendered)
  const pod = findSidecarPod(objects)
  const env = containerEnvironment(objects, pod, pod.exporter, root)
  return { objects, pod, exporter: pod.exporter, env, config: loadConfig(env) }
}

/**
 * What the PodMonitor or ServiceMonitor among the objects scrapes: each endpoint with the port of the
 * exporter container it reaches (a ServiceMonitor's through the selected Service's target port). None
 * without a monitor.
 */
export function monitorEndpoints(
  objects: KubeObject[],
): Array<{ endpoint: ScrapeEndpoint; port: string | number }> {
  const podMonitor = objects.find((o) => o.kind === 'PodMonitor')
  if (podMonitor) {
    return podMonitor.spec.podMetricsEndpoints.map((endpoint: ScrapeEndpoint & { port: string }) => ({
      endpoint,
      port: endpoint.port,
    }))
  }
  const serviceMonitor = objects.find((o) => o.kind === 'ServiceMonitor')
  if (!serviceMonitor) return []
  const service = objects.find(
    (o) =>
      o.kind === 'Service' &&
      matchesSelector(serviceMonitor.spec.selector.matchLabels, o.metadata.labels ?? {}),
  )
  if (!service) throw new Error('no Service matches the ServiceMonitor')
  return serviceMonitor.spec.endpoints.map((endpoint: ScrapeEndpoint & { port: string }) => ({
    endpoint,
    port: servicePort(service, endpoint.port).targetPort,
  }))
}

/** A Service's port by name. */
export function servicePort(
  service: KubeObject,
  name: string,
): { name: string; targetPort: string | number } {
  const port = service.spec.ports.find((p: { name: string }) => p.name === name)
  if (!port) throw new Error(`Service ${service.metadata.name} has no port named ${name}`)
  return port
}

/** The exporter's mount that CALLBACK_TOKEN_FILE points into, and the volume mounted there. */
export function tokenFileMount(pod: SidecarPod): { mount: Container; volume: Container } {
  const tokenFile = pod.exporter.env.find((v: { name: string }) => v.name === 'CALLBACK_TOKEN_FILE').value
  const mount = pod.exporter.volumeMounts.find((m: { mountPath: string }) =>
    tokenFile.startsWith(`${m.mountPath}/`),
  )
  const volume = pod.podSpec.volumes.find((v: { name: string }) => v.name === mount.name)
  return { mount, volume }
}

/** A NetworkPolicy's named port may be any container's port in the Pod; `undefined` when none has it. */
export function podPort(pod: SidecarPod, port: string | number): number | undefined {
  if (typeof port === 'number') return port
  for (const container of [pod.exporter, ...pod.appContainers]) {
    const named = (container.ports ?? []).find((p: { name?: string }) => p.name === port)
    if (named) return named.containerPort
  }
  return undefined
}

/** The callback tokens the exporter loaded: the one of CALLBACK_TOKEN, or those of CALLBACK_TOKEN_FILE. */
export function callbackTokens(config: Config): string[] {
  if (config.callbackTokenFile) return [...config.callbackTokenFile.tokens]
  return config.callbackToken === undefined ? [] : [config.callbackToken]
}
