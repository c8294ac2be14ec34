import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { stringify } from 'yaml'
import { METRICS_PATH } from '../../src/app.js'
import { type Config, loadConfig } from '../../src/config/config.js'
import { VERSION } from '../../src/version.js'
import { findKustomizations, findObject, KUBERNETES_DIR, type KubeObject, kustomize } from './kustomize.js'
import {
  type Container,
  containerEnvironment,
  containerPort,
  findSidecarPod,
  matchesSelector,
  podPort,
} from './pod.js'
import { validateObject } from './schemas.js'
import { unknownFields } from './strict-fields.js'

const IMAGE = 'ghcr.io/tencent-chat-exporter/tencent-chat-exporter'
const MONITORING_NAMESPACE = { 'kubernetes.io/metadata.name': 'monitoring' }
const EXAMPLES = [
  'examples/sidecar',
  'examples/service-monitor',
  'examples/proxy-mode',
  'examples/native-sidecar',
]

const rendered = new Map<string, KubeObject[]>()
let root: string

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tce-manifests-'))
  const dirs = findKustomizations()
  const outputs = await Promise.all(dirs.map((dir) => kustomize(dir)))
  for (const [index, dir] of dirs.entries()) rendered.set(dir, outputs[index] as KubeObject[])
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

const objectsOf = (dir: string): KubeObject[] => {
  const objects = rendered.get(dir)
  if (!objects) throw new Error(`${dir} was not rendered`)
  return objects
}

/** The exporter's configuration as the binary would load it from the rendered container spec. */
function exporterConfig(dir: string): { config: Config; exporter: Container } {
  const objects = objectsOf(dir)
  const pod = findSidecarPod(objects)
  const env = containerEnvironment(objects, pod, pod.exporter, join(root, dir))
  return { config: loadConfig(env), exporter: pod.exporter }
}

test('every example is a kustomization that the suite renders', () => {
  const dirs = findKustomizations()
  for (const example of EXAMPLES) expect(dirs).toContain(example)
  expect(dirs).toEqual(expect.arrayContaining(['base', 'pod-monitor', 'service-monitor', 'examples/app']))
})

describe.each(findKustomizations())('kustomization %s', (dir) => {
  test('renders objects that all pass the Kubernetes and prometheus-operator schemas', () => {
    const objects = objectsOf(dir)
    expect(objects.length).toBeGreaterThan(0)
    for (const object of objects) validateObject(object)
  })
})

test('no rendered object has a field that its kind does not define (a misspelt field is ignored by the schemas)', () => {
  const all = [...rendered.values()].flat()
  const distinct = [...new Map(all.map((object) => [JSON.stringify(object), object])).values()]
  expect(unknownFields(distinct)).toEqual([])
}, 60_000)

test('the field check finds a misspelt field', () => {
  const deployment = structuredClone(findObject(objectsOf('examples/sidecar'), 'Deployment'))
  deployment.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem = true
  expect(unknownFields([deployment])).toEqual([
    expect.stringMatching(
      /^Deployment chat-backend: .*'"readOnlyRootFileSystem"' does not exist in type 'ISecurityContext'/,
    ),
  ])
}, 60_000)

test('schema validation catches a wrong field type', () => {
  const broken = structuredClone(findObject(objectsOf('examples/sidecar'), 'Deployment'))
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'ten thousand'
  expect(() => validateObject(broken)).toThrow(/containerPort must be integer/)
})

describe.each(EXAMPLES)('example %s', (dir) => {
  test('hardens the exporter container', () => {
    const { exporter } = exporterConfig(dir)
    // The released image of this version: bump the manifests' tag with package.json.
    expect(exporter.image).toBe(`${IMAGE}:${VERSION}`)
    expect(exporter.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    })
  })

  test('requests CPU and memory and limits memory above the request', () => {
    const { resources } = exporterConfig(dir).exporter
    expect(resources.requests.cpu).toMatch(/^\d+m$/)
    const mebibytes = (quantity: string) => {
      expect(quantity).toMatch(/^\d+Mi$/)
      return Number.parseInt(quantity, 10)
    }
    expect(mebibytes(resources.limits.memory)).toBeGreaterThan(mebibytes(resources.requests.memory))
  })

  test('probes the exporter on the paths the binary serves, liveness and readiness apart', () => {
    const { exporter } = exporterConfig(dir)
    expect(exporter.livenessProbe.httpGet.path).toBe('/-/healthy')
    expect(exporter.readinessProbe.httpGet.path).toBe('/-/ready')
    // A probe's timeout must leave room for its period, or probes pile up.
    for (const probe of [exporter.livenessProbe, exporter.readinessProbe]) {
      expect(probe.timeoutSeconds).toBeLessThan(probe.periodSeconds)
    }
  })

  test('names the callback and metrics ports with the numbers the binary listens on', () => {
    const { config, exporter } = exporterConfig(dir)
    expect(config.metricsPort).toBeDefined()
    expect(containerPort(exporter, 'chat-callback')).toBe(config.port)
    expect(containerPort(exporter, 'chat-metrics')).toBe(config.metricsPort)
  })

  test('gives the Pod more termination grace than the exporter takes to shut down', () => {
    const { config } = exporterConfig(dir)
    const pod = findSidecarPod(objectsOf(dir))
    expect(pod.podSpec.terminationGracePeriodSeconds).toBeGreaterThan(config.shutdownTimeoutSeconds)
  })

  test('reads the callback token from a mounted Secret, never from a plain env value', () => {
    const { config, exporter } = exporterConfig(dir)
    expect(config.callbackTokenFile?.tokens.length).toBeGreaterThan(0)
    expect(exporter.env.map((v: { name: string }) => v.name)).not.toContain('CALLBACK_TOKEN')
    const tokenFile = exporter.env.find((v: { name: string }) => v.name === 'CALLBACK_TOKEN_FILE').value
    const mount = exporter.volumeMounts.find((m: { mountPath: string }) =>
      tokenFile.startsWith(`${m.mountPath}/`),
    )
    expect(mount.readOnly).toBe(true)
    const pod = findSidecarPod(objectsOf(dir))
    const volume = pod.podSpec.volumes.find((v: { name: string }) => v.name === mount.name)
    expect(volume.secret.secretName).toBeDefined()
  })

  test('exposes the callback port through a Service that selects the Pod', () => {
    const objects = objectsOf(dir)
    const pod = findSidecarPod(objects)
    const service = findObject(objects, 'Service', 'tencent-chat-exporter')
    expect(matchesSelector(service.spec.selector, pod.labels)).toBe(true)
    const [port] = service.spec.ports
    expect(containerPort(pod.exporter, port.targetPort)).toBe(exporterConfig(dir).config.port)
  })

  test('lets only the monitoring namespace reach the metrics port', () => {
    const objects = objectsOf(dir)
    const pod = findSidecarPod(objects)
    const { config } = exporterConfig(dir)
    const policy = findObject(objects, 'NetworkPolicy', 'tencent-chat-exporter')
    expect(matchesSelector(policy.spec.podSelector.matchLabels, pod.labels)).toBe(true)
    expect(policy.spec.policyTypes).toContain('Ingress')
    const opensMetrics = (rule: { ports?: Array<{ port: string | number }> }) => {
      // A rule without ports opens every port.
      if (!rule.ports) return true
      return rule.ports.some((p) => podPort(pod, p.port) === config.metricsPort)
    }
    const metricsRules = policy.spec.ingress.filter(opensMetrics)
    expect(metricsRules).toHaveLength(1)
    expect(metricsRules[0].from).toEqual([{ namespaceSelector: { matchLabels: MONITORING_NAMESPACE } }])
    // The callback port stays open to Tencent Chat (through the Service, Ingress or load balancer).
    const callbackRules = policy.spec.ingress.filter((rule: { ports?: Array<{ port: string | number }> }) =>
      rule.ports?.some((p) => podPort(pod, p.port) === config.port),
    )
    expect(callbackRules.some((rule: { from?: unknown }) => rule.from === undefined)).toBe(true)
    // The app's own ports too: the policy selects the app's Pods.
    for (const app of pod.appContainers) {
      for (const { name } of app.ports ?? []) {
        const open = policy.spec.ingress.some(
          (rule: { from?: unknown; ports?: Array<{ port: string }> }) =>
            rule.from === undefined && rule.ports?.some((p) => p.port === name),
        )
        expect(open, `app port ${name} open`).toBe(true)
      }
    }
  })

  test('scrapes the metrics port on the metrics path, as the job the bundled rules select', () => {
    const objects = objectsOf(dir)
    const pod = findSidecarPod(objects)
    const { config } = exporterConfig(dir)
    const monitors = objects.filter((o) => o.kind === 'PodMonitor' || o.kind === 'ServiceMonitor')
    // One monitor, or every Pod is scraped twice.
    expect(monitors).toHaveLength(1)
    const [monitor] = monitors as [KubeObject]
    const rule = findObject(objects, 'PrometheusRule', 'tencent-chat-exporter')
    // Every job="..." matcher in the bundled rules' expressions.
    const expressions = rule.spec.groups.flatMap((group: { rules: Array<{ expr: string }> }) =>
      group.rules.map((r) => r.expr),
    )
    const jobs = new Set(
      expressions.flatMap((expr: string) => [...expr.matchAll(/job="([^"]+)"/g)].map((m) => m[1])),
    )
    expect(jobs.size).toBe(1)

    let endpoints: Array<{ port: string; path: string; relabelings: unknown[] }>
    if (monitor.kind === 'PodMonitor') {
      expect(matchesSelector(monitor.spec.selector.matchLabels, pod.labels)).toBe(true)
      endpoints = monitor.spec.podMetricsEndpoints
      for (const endpoint of endpoints)
        expect(containerPort(pod.exporter, endpoint.port)).toBe(config.metricsPort)
    } else {
      const service = objects.find(
        (o) =>
          o.kind === 'Service' && matchesSelector(monitor.spec.selector.matchLabels, o.metadata.labels ?? {}),
      ) as KubeObject
      expect(service.metadata.name).not.toBe('tencent-chat-exporter')
      expect(matchesSelector(service.spec.selector, pod.labels)).toBe(true)
      endpoints = monitor.spec.endpoints
      for (const endpoint of endpoints) {
        const port = service.spec.ports.find((p: { name: string }) => p.name === endpoint.port)
        expect(containerPort(pod.exporter, port.targetPort)).toBe(config.metricsPort)
      }
    }
    expect(endpoints).toHaveLength(1)
    for (const endpoint of endpoints) {
      expect(endpoint.path).toBe(METRICS_PATH)
      expect(endpoint.relabelings).toContainEqual({
        action: 'replace',
        targetLabel: 'job',
        replacement: [...jobs][0],
      })
    }
  })
})

test('the native-sidecar example runs the exporter as an init container that restarts always', () => {
  const pod = findSidecarPod(objectsOf('examples/native-sidecar'))
  expect(pod.native).toBe(true)
  expect(pod.exporter.restartPolicy).toBe('Always')
  expect(pod.appContainers.map((c) => c.name)).toEqual(['app'])
  // Everything else about the container is the plain sidecar's.
  const plain = findSidecarPod(objectsOf('examples/sidecar'))
  expect(plain.native).toBe(false)
  expect({ ...pod.exporter, restartPolicy: undefined }).toEqual({
    ...plain.exporter,
    restartPolicy: undefined,
  })
  // Services (before Kubernetes 1.32) and some network plugins do not resolve an init container's
  // named ports: the Service and the NetworkPolicy address the exporter by number.
  const objects = objectsOf('examples/native-sidecar')
  expect(findObject(objects, 'Service', 'tencent-chat-exporter').spec.ports[0].targetPort).toBe(10240)
  const policyPorts = findObject(objects, 'NetworkPolicy', 'tencent-chat-exporter').spec.ingress.flatMap(
    (rule: { ports: Array<{ port: string | number }> }) => rule.ports.map((p) => p.port),
  )
  expect(policyPorts).toEqual([9464, 10240, 'http'])
})

test('the proxy-mode example forwards to the app container over the Pod loopback', () => {
  const { config } = exporterConfig('examples/proxy-mode')
  const pod = findSidecarPod(objectsOf('examples/proxy-mode'))
  const upstream = config.upstream
  if (!upstream) throw new Error('UPSTREAM_URL is not set')
  expect(upstream.url.hostname).toBe('127.0.0.1')
  const appPorts = pod.appContainers.flatMap((c) => (c.ports ?? []).map((p: Container) => p.containerPort))
  expect(appPorts).toContain(Number(upstream.url.port))
  // Chat waits 2 s for an answer: the exporter must give up on the app before that.
  expect(upstream.timeoutMs).toBeLessThan(2000)
  expect(exporterConfig('examples/sidecar').config.upstream).toBeUndefined()
})

test("the README's overlay for your own app renders: your Deployment, the sidecar patch copied, your SDKAppID", async () => {
  const overlay = join(root, 'my-overlay')
  mkdirSync(overlay)
  const patch = readFileSync(join(KUBERNETES_DIR, 'examples/app/exporter-sidecar.yaml'), 'utf8')
  writeFileSync(join(overlay, 'exporter-sidecar.yaml'), patch.replace('name: chat-backend', 'name: my-app'))
  writeFileSync(
    join(overlay, 'my-app-deployment.yaml'),
    stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'my-app' },
      spec: {
        selector: { matchLabels: { app: 'my-app' } },
        template: {
          metadata: { labels: { app: 'my-app' } },
          spec: { containers: [{ name: 'web', image: 'registry.example.com/my-app:1' }] },
        },
      },
    }),
  )
  // kustomize takes only relative paths to bases.
  const base = (dir: string) => relative(overlay, join(KUBERNETES_DIR, dir))
  writeFileSync(
    join(overlay, 'kustomization.yaml'),
    stringify({
      bases: [base('base'), base('pod-monitor')],
      resources: ['my-app-deployment.yaml'],
      patchesStrategicMerge: ['exporter-sidecar.yaml'],
      configMapGenerator: [
        { name: 'tencent-chat-exporter', behavior: 'merge', literals: ['SDKAPPIDS=1400123456'] },
      ],
    }),
  )
  const objects = await kustomize(overlay)
  for (const object of objects) validateObject(object)
  const pod = findSidecarPod(objects)
  expect(pod.deployment.metadata.name).toBe('my-app')
  expect(pod.appContainers.map((c) => c.name)).toEqual(['web'])
  const configMap = findObject(objects, 'ConfigMap', pod.exporter.envFrom[0].configMapRef.name)
  expect(configMap.data?.SDKAPPIDS).toBe('1400123456')
  expect(configMap.data?.MAX_SERIES).toBe('2000')
  expect(objects.map((o) => o.kind).sort()).toEqual([
    'ConfigMap',
    'Deployment',
    'NetworkPolicy',
    'PodMonitor',
    'PrometheusRule',
    'Service',
  ])
})
