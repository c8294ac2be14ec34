import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parse, stringify } from 'yaml'
import { METRICS_PATH } from '../../src/app.js'
import { VERSION } from '../../src/version.js'
import {
  EXAMPLES,
  findComponents,
  findKustomizations,
  findObject,
  KUBERNETES_DIR,
  type KubeObject,
  kustomizeBuild,
} from './kustomize.js'
import { expectScrapeMatchesWebConfig, webConfigOf } from './metrics-security.js'
import {
  type Container,
  containerEnvironment,
  containerPort,
  exporterInPod,
  findSidecarPod,
  IMAGE,
  matchesSelector,
  podPort,
  RESTRICTED_SECURITY_CONTEXT,
  tokenFileMount,
} from './pod.js'
import { validateObject } from './schemas.js'
import { unknownFields } from './strict-fields.js'
import { withUserSecrets } from './user-secrets.js'

const MONITORING_NAMESPACE = { 'kubernetes.io/metadata.name': 'monitoring' }

const rendered = new Map<string, KubeObject[]>()
const warnings = new Map<string, string>()
let root: string

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tce-manifests-'))
  const dirs = findKustomizations()
  const outputs = await Promise.all(dirs.map((dir) => kustomizeBuild(dir)))
  for (const [index, dir] of dirs.entries()) {
    const output = outputs[index] as { objects: KubeObject[]; stderr: string }
    rendered.set(dir, output.objects)
    warnings.set(dir, output.stderr)
  }
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

const objectsOf = (dir: string): KubeObject[] => {
  const objects = rendered.get(dir)
  if (!objects) throw new Error(`${dir} was not rendered`)
  return objects
}

/** The exporter's configuration as the binary would load it from the rendered container spec. */
const exporterConfig = (dir: string) => exporterInPod(objectsOf(dir), join(root, dir))

test('every example is a kustomization that the suite renders, and the sidecar and its variants are Components', () => {
  const dirs = findKustomizations()
  for (const example of EXAMPLES) expect(dirs).toContain(example)
  expect(dirs).toEqual(expect.arrayContaining(['pod-monitor', 'service-monitor', 'examples/app']))
  expect(findComponents()).toEqual(
    expect.arrayContaining([
      'components/sidecar',
      'components/proxy-mode',
      'components/native-sidecar',
      'components/metrics-tls',
      'components/rest-meter',
    ]),
  )
})

// Fields that current kustomize reports as deprecated (`kustomize edit fix` rewrites them).
const DEPRECATED_FIELDS = [
  'bases',
  'patchesStrategicMerge',
  'patchesJson6902',
  'commonLabels',
  'vars',
  'imageTags',
  'crds',
]

test.each([...findKustomizations(), ...findComponents()])('%s uses only current kustomize fields', (dir) => {
  const kustomization = parse(readFileSync(join(KUBERNETES_DIR, dir, 'kustomization.yaml'), 'utf8'))
  expect(Object.keys(kustomization).filter((field) => DEPRECATED_FIELDS.includes(field))).toEqual([])
})

describe.each(findKustomizations())('kustomization %s', (dir) => {
  test('renders objects that all pass the Kubernetes and prometheus-operator schemas', () => {
    const objects = objectsOf(dir)
    expect(objects.length).toBeGreaterThan(0)
    for (const object of objects) validateObject(object)
  })

  test('renders with kustomize v5 without a warning', () => {
    expect(warnings.get(dir)).toBe('')
  })
})

test('every Component is used by an example', () => {
  const used = new Set<string>()
  for (const dir of EXAMPLES) {
    const kustomization = parse(readFileSync(join(KUBERNETES_DIR, dir, 'kustomization.yaml'), 'utf8'))
    for (const component of kustomization.components ?? []) {
      used.add(relative(KUBERNETES_DIR, join(KUBERNETES_DIR, dir, component)))
    }
  }
  // proxy-mode includes the sidecar Component itself.
  expect(findComponents().filter((component) => !used.has(component))).toEqual([])
})

test('no rendered object has a field that its kind does not define (a misspelt field is ignored by the schemas)', () => {
  expect(unknownFields([...rendered.values()].flat())).toEqual([])
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
  test('scrapes the metrics port over HTTPS and with basic auth exactly when its web configuration asks', () => {
    const { config, env, exporter, objects } = exporterConfig(dir)
    const web = webConfigOf(env)
    expectScrapeMatchesWebConfig(objects, exporter, web)
    // The exporter itself accepted the file (bcrypt hashes, the mounted certificate) as the test read it.
    expect(config.webConfig?.tls !== undefined).toBe(web?.tls_server_config !== undefined)
    expect([...(config.webConfig?.users.keys() ?? [])]).toEqual(Object.keys(web?.basic_auth_users ?? {}))
  })

  test('hardens the exporter container', () => {
    const { exporter } = exporterConfig(dir)
    // The released image of this version: bump the manifests' tag with package.json.
    expect(exporter.image).toBe(`${IMAGE}:${VERSION}`)
    expect(exporter.securityContext).toEqual(RESTRICTED_SECURITY_CONTEXT)
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
    const { config, pod } = exporterConfig(dir)
    expect(pod.podSpec.terminationGracePeriodSeconds).toBeGreaterThan(config.shutdownTimeoutSeconds)
  })

  test('reads the callback token from a mounted Secret, never from a plain env value', () => {
    const { config, exporter, pod } = exporterConfig(dir)
    expect(config.callbackTokenFile?.tokens.length).toBeGreaterThan(0)
    expect(exporter.env.map((v: { name: string }) => v.name)).not.toContain('CALLBACK_TOKEN')
    const { mount, volume } = tokenFileMount(pod)
    expect(mount.readOnly).toBe(true)
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

test("the rest-meter example points the app's Chat REST base URL at the meter, on the Pod's loopback", () => {
  const { config, pod } = exporterConfig('examples/rest-meter')
  const egress = config.egress
  if (!egress) throw new Error('EGRESS_PORT is not set')
  expect(egress.host).toBe('127.0.0.1')
  expect(egress.chatRestUrl.href).toBe('https://adminapisgp.im.qcloud.com/')
  const [app] = pod.appContainers
  const baseUrl = new URL(
    app?.env.find((v: { name: string }) => v.name === 'TENCENT_CHAT_REST_BASE_URL').value as string,
  )
  expect(baseUrl.protocol).toBe('http:')
  expect(baseUrl.hostname).toBe('127.0.0.1')
  expect(Number(baseUrl.port)).toBe(egress.port)
  // The app's own ports and the exporter's never take the meter's.
  const podPorts = [pod.exporter, ...pod.appContainers].flatMap((c) =>
    (c.ports ?? []).map((p: Container) => p.containerPort),
  )
  expect(podPorts).not.toContain(egress.port)
  // The limits the example lists, from the ConfigMap mounted as a folder (a change reaches the exporter).
  expect(Object.fromEntries(config.apiLimitsFile?.limits ?? [])).toEqual({
    'openim/sendmsg': 400,
    'group_open_http_svc/send_group_msg': 300,
  })
  const mount = pod.exporter.volumeMounts.find((m: { mountPath: string }) =>
    pod.exporter.env.some(
      (v: { name: string; value?: string }) =>
        v.name === 'API_LIMITS_FILE' && v.value?.startsWith(`${m.mountPath}/`),
    ),
  )
  expect(mount?.subPath).toBeUndefined()
  expect(mount?.readOnly).toBe(true)
  // Without the Component the meter stays off.
  expect(exporterConfig('examples/sidecar').config.egress).toBeUndefined()
})

test("the rest-meter example's app container meets the restricted Pod Security Standard too", () => {
  const { pod } = exporterConfig('examples/rest-meter')
  for (const app of pod.appContainers) {
    expect(app.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    })
  }
})

/** Writes a kustomization for "your own app" in a temporary folder, with two Deployments of yours. */
function writeOverlay(name: string, kustomization: Record<string, unknown>): string {
  const overlay = join(root, name)
  mkdirSync(overlay)
  const deployment = (app: string, labels: Record<string, string>) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: app, labels },
    spec: {
      selector: { matchLabels: { app } },
      template: {
        metadata: { labels: { app } },
        spec: { containers: [{ name: 'web', image: `registry.example.com/${app}:1` }] },
      },
    },
  })
  writeFileSync(
    join(overlay, 'my-app-deployment.yaml'),
    stringify(deployment('my-app', { 'tencent-chat-exporter/sidecar': 'true' })),
  )
  writeFileSync(join(overlay, 'other-deployment.yaml'), stringify(deployment('other', {})))
  writeFileSync(join(overlay, 'kustomization.yaml'), stringify(kustomization))
  return overlay
}

// kustomize takes only relative paths to other kustomizations.
const fromOverlay = (overlay: string, dir: string) => relative(overlay, join(KUBERNETES_DIR, dir))

test('the documented kustomization for your own app renders: the labelled Deployment gets the sidecar, your SDKAppID, your image tag', async () => {
  const overlay = join(root, 'my-overlay')
  writeOverlay('my-overlay', {
    resources: ['my-app-deployment.yaml', 'other-deployment.yaml', fromOverlay(overlay, 'pod-monitor')],
    components: [fromOverlay(overlay, 'components/sidecar')],
    configMapGenerator: [{ name: 'tencent-chat-exporter', literals: ['SDKAPPIDS=1400123456'] }],
    images: [{ name: IMAGE, newTag: '9.9.9' }],
  })
  const { objects, stderr } = await kustomizeBuild(overlay)
  expect(stderr).toBe('')
  for (const object of objects) validateObject(object)
  const pod = findSidecarPod(objects)
  expect(pod.deployment.metadata.name).toBe('my-app')
  expect(pod.appContainers.map((c) => c.name)).toEqual(['web'])
  expect(pod.exporter.image).toBe(`${IMAGE}:9.9.9`)
  // A Deployment without the label is left alone.
  const other = findObject(objects, 'Deployment', 'other')
  expect(other.spec.template.spec.containers.map((c: Container) => c.name)).toEqual(['web'])
  const configMap = findObject(objects, 'ConfigMap', pod.exporter.envFrom[0].configMapRef.name)
  expect(configMap.data).toEqual({ SDKAPPIDS: '1400123456' })
  expect(objects.map((o) => o.kind).sort()).toEqual([
    'ConfigMap',
    'Deployment',
    'Deployment',
    'NetworkPolicy',
    'PodMonitor',
    'PrometheusRule',
    'Service',
  ])
  // The token Secret is yours (kubectl create secret): referenced by its plain name.
  const volume = pod.podSpec.volumes.find((v: { secret?: unknown }) => v.secret)
  expect(volume.secret.secretName).toBe('tencent-chat-exporter-token')
})

test('the proxy-mode Component does not let the exporter start without UPSTREAM_URL', async () => {
  const overlay = join(root, 'my-proxy-overlay')
  writeOverlay('my-proxy-overlay', {
    resources: ['my-app-deployment.yaml', fromOverlay(overlay, 'pod-monitor')],
    components: [fromOverlay(overlay, 'components/proxy-mode')],
    configMapGenerator: [{ name: 'tencent-chat-exporter', literals: ['SDKAPPIDS=1400123456'] }],
    secretGenerator: [{ name: 'tencent-chat-exporter-token', literals: ['token=t0ken'] }],
  })
  const { objects, stderr } = await kustomizeBuild(overlay)
  expect(stderr).toBe('')
  const pod = findSidecarPod(objects)
  expect(() => containerEnvironment(objects, pod, pod.exporter, join(root, 'my-proxy-pod'))).toThrow(
    /ConfigMap tencent-chat-exporter-\w+ has no key UPSTREAM_URL/,
  )
})

test('the metrics-tls Component switches a PodMonitor to HTTPS too, and combines with the native sidecar', async () => {
  const overlay = join(root, 'my-tls-overlay')
  writeOverlay('my-tls-overlay', {
    resources: ['my-app-deployment.yaml', fromOverlay(overlay, 'pod-monitor')],
    components: [
      fromOverlay(overlay, 'components/sidecar'),
      fromOverlay(overlay, 'components/metrics-tls'),
      fromOverlay(overlay, 'components/native-sidecar'),
    ],
    configMapGenerator: [{ name: 'tencent-chat-exporter', literals: ['SDKAPPIDS=1400123456'] }],
    secretGenerator: [
      { name: 'tencent-chat-exporter-token', literals: ['token=t0ken'] },
      // kustomize reads files from inside the kustomization only: the example's, copied.
      { name: 'tencent-chat-exporter-web-config', files: ['web-config.yml'] },
      {
        name: 'tencent-chat-exporter-scrape-auth',
        literals: ['username=prometheus', 'password=replace-with-a-long-random-password'],
        options: { disableNameSuffixHash: true },
      },
    ],
  })
  copyFileSync(join(KUBERNETES_DIR, 'examples/metrics-tls/web-config.yml'), join(overlay, 'web-config.yml'))
  const { objects, stderr } = await kustomizeBuild(overlay)
  expect(stderr).toBe('')
  for (const object of objects) validateObject(object)
  const all = withUserSecrets(objects)
  const pod = findSidecarPod(all)
  expect(pod.native).toBe(true)
  const env = containerEnvironment(all, pod, pod.exporter, join(root, 'my-tls-pod'))
  expect(findObject(objects, 'PodMonitor').spec.podMetricsEndpoints[0].scheme).toBe('https')
  expectScrapeMatchesWebConfig(all, pod.exporter, webConfigOf(env))
})

test('the rest-meter Component combines with front-proxy mode and the native sidecar, and needs its limits ConfigMap', async () => {
  const overlay = join(root, 'my-rest-meter-overlay')
  writeOverlay('my-rest-meter-overlay', {
    resources: ['my-app-deployment.yaml', fromOverlay(overlay, 'pod-monitor')],
    components: [
      fromOverlay(overlay, 'components/proxy-mode'),
      fromOverlay(overlay, 'components/rest-meter'),
      fromOverlay(overlay, 'components/native-sidecar'),
    ],
    configMapGenerator: [
      {
        name: 'tencent-chat-exporter',
        literals: ['SDKAPPIDS=1400123456', 'UPSTREAM_URL=http://127.0.0.1:8080/tencent-chat/callback'],
      },
      { name: 'tencent-chat-exporter-api-limits', literals: ['api-limits.yaml={}'] },
    ],
    secretGenerator: [{ name: 'tencent-chat-exporter-token', literals: ['token=t0ken'] }],
  })
  const { objects, stderr } = await kustomizeBuild(overlay)
  expect(stderr).toBe('')
  for (const object of objects) validateObject(object)
  const pod = findSidecarPod(objects)
  expect(pod.native).toBe(true)
  const { config } = exporterInPod(objects, join(root, 'my-rest-meter-pod'))
  expect(config.egress?.port).toBe(10241)
  expect(config.upstream?.url.port).toBe('8080')
  expect(config.apiLimitsFile?.limits.size).toBe(0)
  // The volume names the ConfigMap the user's kustomization generates, with its hash.
  const volume = pod.podSpec.volumes.find((v: { configMap?: { name: string } }) =>
    v.configMap?.name.startsWith('tencent-chat-exporter-api-limits-'),
  )
  expect(volume).toBeDefined()
})
