import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { parse } from 'yaml'
import { CHART_RULES_PATH, DASHBOARDS_DIR, RULES_PATH } from '../../scripts/prometheus-rule.js'
import { METRICS_PATH } from '../../src/app.js'
import { VERSION } from '../../src/version.js'
import {
  CHART_PATH,
  ciValuesFiles,
  helm,
  helmTemplate,
  helmTemplateResult,
  NAMESPACE,
  RELEASE,
} from './helm.js'
import { findObject, type KubeObject, REPO_ROOT } from './kustomize.js'
import { expectScrapeMatchesWebConfig, webConfigOf } from './metrics-security.js'
import {
  callbackTokens,
  containerPort,
  exporterInPod,
  findSidecarPod,
  IMAGE,
  matchesSelector,
  RESTRICTED_SECURITY_CONTEXT,
  tokenFileMount,
} from './pod.js'
import { validateObject } from './schemas.js'
import { unknownFields } from './strict-fields.js'
import { CALLBACK_TOKEN_SECRET } from './user-secrets.js'

/** A bcrypt hash, as webConfig.basicAuth.users takes them. */
const HASH = '$2b$10$LFg3UdBNw8m.go2R6N4o5.kyM6XTk8lDwpz6XtKszcSa/U5.e7Es6'
const JOB = 'tencent-chat-exporter'

const MATRIX = ciValuesFiles()
const rendered = new Map<string, KubeObject[]>()
let root: string

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'tce-chart-'))
  const outputs = await Promise.all(MATRIX.map((file) => helmTemplate({ file })))
  for (const [index, file] of MATRIX.entries()) rendered.set(file, outputs[index] as KubeObject[])
}, 120_000)

afterAll(() => rmSync(root, { recursive: true, force: true }))

const objectsOf = (file: string): KubeObject[] => {
  const objects = rendered.get(file)
  if (!objects) throw new Error(`${file} was not rendered`)
  return objects
}
const valuesOf = (file: string) => parse(readFileSync(join(CHART_PATH, 'ci', file), 'utf8')) ?? {}

/** The exporter's configuration as the binary would load it from the rendered container. */
const exporterOf = (file: string) => exporterInPod(objectsOf(file), join(root, file))

const fullname = (file: string) => findObject(objectsOf(file), 'Deployment').metadata.name

test('the matrix renders the defaults, everything on, an existing Secret, TLS and basic auth, a front proxy, the REST meter and a ServiceMonitor', () => {
  expect(MATRIX).toEqual([
    'default-values.yaml',
    'everything-values.yaml',
    'existing-secret-values.yaml',
    'metrics-tls-values.yaml',
    'proxy-values.yaml',
    'rest-meter-values.yaml',
    'service-monitor-values.yaml',
  ])
})

test('the chart installs the exporter of this version', () => {
  const chart = parse(readFileSync(join(CHART_PATH, 'Chart.yaml'), 'utf8'))
  expect(chart.appVersion).toBe(VERSION)
  expect(findSidecarPod(objectsOf('default-values.yaml')).exporter.image).toBe(`${IMAGE}:${VERSION}`)
})

test.each(['', ...MATRIX])('helm lint --strict passes with %s', async (file) => {
  const values = file ? ['--values', join(CHART_PATH, 'ci', file)] : []
  const result = await helm(['lint', '--strict', CHART_PATH, ...values])
  expect(result.stderr + result.stdout).toContain('1 chart(s) linted, 0 chart(s) failed')
  expect(result.code).toBe(0)
})

describe.each(MATRIX)('values %s', (file) => {
  test('every object passes the Kubernetes and prometheus-operator schemas and lands in the release namespace', () => {
    const objects = objectsOf(file)
    for (const object of objects) {
      validateObject(object)
      const namespace = (object.metadata as { namespace?: string }).namespace
      const dashboards = valuesOf(file).grafanaDashboards?.namespace
      const isDashboard = Object.keys(object.data ?? {}).some((key) => key.endsWith('.json'))
      const expected = object.kind === 'ConfigMap' && isDashboard && dashboards ? dashboards : NAMESPACE
      expect(namespace, `${object.kind} ${object.metadata.name}`).toBe(expected)
    }
  })

  test('hardens the Pod and its container (the restricted Pod Security Standard)', () => {
    const pod = findSidecarPod(objectsOf(file))
    expect(pod.podSpec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    })
    expect(pod.exporter.securityContext).toEqual(RESTRICTED_SECURITY_CONTEXT)
    expect(pod.podSpec.automountServiceAccountToken).toBe(false)
    expect(pod.podSpec.enableServiceLinks).toBe(false)
    expect(pod.appContainers).toEqual([])
  })

  test('probes the paths the binary serves, on the ports it listens on', () => {
    const { config, exporter } = exporterOf(file)
    expect(exporter.livenessProbe.httpGet.path).toBe('/-/healthy')
    expect(exporter.readinessProbe.httpGet.path).toBe('/-/ready')
    for (const probe of [exporter.livenessProbe, exporter.readinessProbe]) {
      expect(probe.timeoutSeconds).toBeLessThan(probe.periodSeconds)
      expect([config.port, config.metricsPort]).toContain(containerPort(exporter, probe.httpGet.port))
    }
  })

  test('names the callback and metrics ports with the numbers the binary listens on, apart', () => {
    const { config, exporter } = exporterOf(file)
    expect(config.metricsPort).toBeDefined()
    expect(config.metricsPort).not.toBe(config.port)
    expect(containerPort(exporter, 'callback')).toBe(config.port)
    expect(containerPort(exporter, 'metrics')).toBe(config.metricsPort)
  })

  test('gives the Pod more termination grace than the exporter takes to shut down', () => {
    const { config, pod } = exporterOf(file)
    expect(pod.podSpec.terminationGracePeriodSeconds).toBeGreaterThan(config.shutdownTimeoutSeconds)
  })

  test('reads a token only from a mounted Secret file, never from a plain env value', () => {
    const { config, exporter, pod } = exporterOf(file)
    expect(exporter.env.map((v: { name: string }) => v.name)).not.toContain('CALLBACK_TOKEN')
    const token = valuesOf(file).token ?? {}
    if (!token.value && !token.existingSecret) {
      expect(callbackTokens(config)).toEqual([])
      return
    }
    expect(callbackTokens(config)).toEqual([
      token.value ??
        Buffer.from(CALLBACK_TOKEN_SECRET.data?.['chat-token'] ?? '', 'base64')
          .toString()
          .trim(),
    ])
    const { mount, volume } = tokenFileMount(pod)
    expect(mount.readOnly).toBe(true)
    // Never subPath: a subPath mount is not updated when the Secret changes.
    expect(mount.subPath).toBeUndefined()
    expect(volume.secret.secretName).toBe(token.existingSecret || `${fullname(file)}-token`)
  })

  test('exposes the callback port, and only it, through the callback Service', () => {
    const objects = objectsOf(file)
    const { config, exporter } = exporterOf(file)
    const pod = findSidecarPod(objects)
    const service = findObject(objects, 'Service', fullname(file))
    expect(matchesSelector(service.spec.selector, pod.labels)).toBe(true)
    const targets = service.spec.ports.map((p: { targetPort: string }) =>
      containerPort(exporter, p.targetPort),
    )
    expect(targets).toEqual([config.port])
  })

  test('exposes the metrics port, and only it, through the headless metrics Service', () => {
    const objects = objectsOf(file)
    const { config, exporter } = exporterOf(file)
    const service = findObject(objects, 'Service', `${fullname(file)}-metrics`)
    expect(service.spec.clusterIP).toBe('None')
    expect(matchesSelector(service.spec.selector, findSidecarPod(objects).labels)).toBe(true)
    const targets = service.spec.ports.map((p: { targetPort: string }) =>
      containerPort(exporter, p.targetPort),
    )
    expect(targets).toEqual([config.metricsPort])
  })

  test('routes nothing but the callback path to the callback port from the Ingress', () => {
    const objects = objectsOf(file)
    const ingress = objects.find((o) => o.kind === 'Ingress')
    if (!valuesOf(file).ingress?.enabled) {
      expect(ingress).toBeUndefined()
      return
    }
    const { config, exporter } = exporterOf(file)
    expect(ingress?.spec.defaultBackend).toBeUndefined()
    const paths = ingress?.spec.rules.flatMap((rule: { http: { paths: unknown[] } }) => rule.http.paths)
    expect(paths).toHaveLength(1)
    const [path] = paths
    // Exact: a Prefix rule for /callback would also route /callback/anything.
    expect(path).toMatchObject({ path: config.callbackPath, pathType: 'Exact' })
    const service = findObject(objects, 'Service', path.backend.service.name)
    const port = service.spec.ports.find((p: { name: string }) => p.name === path.backend.service.port.name)
    expect(containerPort(exporter, port.targetPort)).toBe(config.port)
  })

  test('scrapes the metrics port on the metrics path, as the job the bundled rules select, with one monitor at most', () => {
    const objects = objectsOf(file)
    const { config, exporter } = exporterOf(file)
    const pod = findSidecarPod(objects)
    const monitors = objects.filter((o) => o.kind === 'PodMonitor' || o.kind === 'ServiceMonitor')
    const values = valuesOf(file)
    expect(monitors.map((m) => m.kind)).toEqual(
      values.podMonitor?.enabled ? ['PodMonitor'] : values.serviceMonitor?.enabled ? ['ServiceMonitor'] : [],
    )
    for (const monitor of monitors) {
      const settings = monitor.kind === 'PodMonitor' ? values.podMonitor : values.serviceMonitor
      expect(monitor.metadata.labels).toMatchObject(settings.labels ?? { release: 'kube-prometheus-stack' })
      expect(monitor.spec.namespaceSelector).toEqual({ matchNames: [NAMESPACE] })
      let endpoints: Array<Record<string, unknown> & { port: string }>
      if (monitor.kind === 'PodMonitor') {
        expect(matchesSelector(monitor.spec.selector.matchLabels, pod.labels)).toBe(true)
        endpoints = monitor.spec.podMetricsEndpoints
        for (const endpoint of endpoints)
          expect(containerPort(exporter, endpoint.port)).toBe(config.metricsPort)
      } else {
        const services = objects.filter(
          (o) =>
            o.kind === 'Service' &&
            matchesSelector(monitor.spec.selector.matchLabels, o.metadata.labels ?? {}),
        )
        // The metrics Service only: the callback Service must not be scraped.
        expect(services.map((s) => s.metadata.name)).toEqual([`${fullname(file)}-metrics`])
        endpoints = monitor.spec.endpoints
        for (const endpoint of endpoints) {
          const port = services[0]?.spec.ports.find((p: { name: string }) => p.name === endpoint.port)
          expect(containerPort(exporter, port.targetPort)).toBe(config.metricsPort)
        }
      }
      expect(endpoints).toHaveLength(1)
      const [endpoint] = endpoints
      expect(endpoint?.path).toBe(METRICS_PATH)
      expect(endpoint?.interval).toBe(settings.interval ?? '30s')
      expect(endpoint?.relabelings).toEqual([
        { action: 'replace', targetLabel: 'job', replacement: JOB },
        ...(settings.relabelings ?? []),
      ])
      if (settings.metricRelabelings) expect(endpoint?.metricRelabelings).toEqual(settings.metricRelabelings)
    }
  })

  test('scrapes the metrics port over HTTPS and with basic auth exactly when its web configuration asks', () => {
    const { config, env, exporter, objects } = exporterOf(file)
    const web = webConfigOf(env)
    expectScrapeMatchesWebConfig(objects, exporter, web)
    // The exporter itself accepted the file (bcrypt hashes, the mounted certificate) as the test read it.
    expect(config.webConfig?.tls !== undefined).toBe(web?.tls_server_config !== undefined)
    expect([...(config.webConfig?.users.keys() ?? [])]).toEqual(Object.keys(web?.basic_auth_users ?? {}))
    const tls = valuesOf(file).webConfig?.tls
    for (const monitor of objects.filter((o) => o.kind === 'PodMonitor' || o.kind === 'ServiceMonitor')) {
      const [endpoint] = monitor.spec.podMetricsEndpoints ?? monitor.spec.endpoints
      if (!tls?.enabled) continue
      // The name the certificate must carry: the values' serverName, or the metrics Service's DNS name.
      expect(endpoint.tlsConfig.serverName).toBe(
        tls.serverName ?? `${fullname(file)}-metrics.${NAMESPACE}.svc`,
      )
      expect(endpoint.tlsConfig.ca.secret).toEqual({ name: tls.existingSecret, key: 'ca.crt' })
    }
  })

  test('keeps the metrics port to the monitoring namespaces and the callback port to the Ingress controller', () => {
    const objects = objectsOf(file)
    const policy = objects.find((o) => o.kind === 'NetworkPolicy')
    const settings = valuesOf(file).networkPolicy
    if (!settings?.enabled) {
      expect(policy).toBeUndefined()
      return
    }
    const { config, exporter } = exporterOf(file)
    expect(matchesSelector(policy?.spec.podSelector.matchLabels, findSidecarPod(objects).labels)).toBe(true)
    expect(policy?.spec.policyTypes).toEqual(config.egress ? ['Ingress', 'Egress'] : ['Ingress'])
    const fromNamespaces = (namespaces: string[]) => [
      {
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: namespaces }],
        },
      },
    ]
    const rules = policy?.spec.ingress as Array<{ ports: Array<{ port: string }>; from?: unknown }>
    // Every rule names its ports: a rule without ports would open all of them.
    const byPort = new Map(
      rules.map((rule) => [rule.ports.map((p) => containerPort(exporter, p.port)).join(), rule.from]),
    )
    expect(byPort).toEqual(
      new Map<string, unknown>([
        [String(config.port), fromNamespaces(settings.callbackNamespaces)],
        [String(config.metricsPort), fromNamespaces(settings.metricsNamespaces)],
        // The REST meter: from the release's namespace and the app's.
        ...(config.egress
          ? [
              [
                String(config.egress.port),
                [{ podSelector: {} }, ...fromNamespaces(settings.restMeterNamespaces)],
              ] as [string, unknown],
            ]
          : []),
      ]),
    )
  })

  test("lets the exporter reach only DNS, Chat's REST domain and the app when the REST meter is on", () => {
    const { config } = exporterOf(file)
    const policy = objectsOf(file).find((o) => o.kind === 'NetworkPolicy')
    if (!policy || !config.egress) {
      expect(policy?.spec.egress).toBeUndefined()
      return
    }
    const tcp = (port: number) => ({ ports: [{ port, protocol: 'TCP' }] })
    const portOf = (url: URL) => Number(url.port || (url.protocol === 'https:' ? 443 : 80))
    expect(policy.spec.egress).toEqual([
      {
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
      tcp(portOf(config.egress.chatRestUrl)),
      ...(config.upstream ? [tcp(portOf(config.upstream.url))] : []),
    ])
  })

  test('runs the REST meter exactly when egress is enabled, behind a ClusterIP Service of its own', () => {
    const objects = objectsOf(file)
    const { config, exporter, pod } = exporterOf(file)
    const settings = valuesOf(file).egress
    const service = objects.find(
      (o) => o.kind === 'Service' && o.metadata.name === `${fullname(file)}-rest-meter`,
    )
    const limits = objects.find(
      (o) => o.kind === 'ConfigMap' && o.metadata.name === `${fullname(file)}-api-limits`,
    )
    if (!settings?.enabled) {
      expect(config.egress).toBeUndefined()
      expect(config.apiLimitsFile).toBeUndefined()
      expect(service).toBeUndefined()
      expect(limits).toBeUndefined()
      return
    }
    expect(config.egress).toMatchObject({
      port: settings.port ?? 10241,
      // The app calls it from its own Pods.
      host: '0.0.0.0',
      chatRestUrl: new URL(settings.chatRestUrl),
    })
    expect(Object.fromEntries(config.apiLimitsFile?.limits ?? [])).toEqual(settings.limits ?? {})
    expect(config.egress?.extraCa !== undefined).toBe(Boolean(settings.caSecret))
    expect(service?.spec.type).toBe('ClusterIP')
    expect(matchesSelector(service?.spec.selector, pod.labels)).toBe(true)
    const targets = service?.spec.ports.map((p: { targetPort: string }) =>
      containerPort(exporter, p.targetPort),
    )
    expect(targets).toEqual([config.egress?.port])
    // A ConfigMap folder, never subPath: a change of egress.limits reaches the running exporter.
    const mount = exporter.volumeMounts.find((m: { mountPath: string }) =>
      config.apiLimitsFile?.path.includes(m.mountPath.replace(/^\//, '')),
    )
    expect(mount?.subPath).toBeUndefined()
    const volume = pod.podSpec.volumes.find((v: { name: string }) => v.name === mount?.name)
    expect(volume.configMap.name).toBe(limits?.metadata.name)
  })

  test('keeps a replica through voluntary disruptions and spreads the replicas', () => {
    const objects = objectsOf(file)
    const pod = findSidecarPod(objects)
    const budget = findObject(objects, 'PodDisruptionBudget')
    expect(matchesSelector(budget.spec.selector.matchLabels, pod.labels)).toBe(true)
    expect(budget.spec.maxUnavailable).toBeLessThan(pod.deployment.spec.replicas)
    const [spread] = pod.podSpec.topologySpreadConstraints
    expect(matchesSelector(spread.labelSelector.matchLabels, pod.labels)).toBe(true)
    expect(spread.maxSkew).toBe(1)
  })
})

test('no rendered object has a field that its kind does not define (a misspelt field is ignored by the schemas)', () => {
  expect(unknownFields([...rendered.values()].flat())).toEqual([])
}, 60_000)

test('the defaults: two replicas, the measured resources, a PDB, spread across nodes, nothing optional', () => {
  const objects = objectsOf('default-values.yaml')
  const pod = findSidecarPod(objects)
  expect(pod.deployment.spec.replicas).toBe(2)
  expect(pod.exporter.resources).toEqual({
    requests: { cpu: '50m', memory: '128Mi' },
    limits: { memory: '256Mi' },
  })
  expect(pod.podSpec.topologySpreadConstraints).toEqual([
    {
      topologyKey: 'kubernetes.io/hostname',
      maxSkew: 1,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: pod.deployment.spec.selector.matchLabels },
    },
  ])
  expect(objects.map((o) => o.kind).sort()).toEqual([
    'Deployment',
    'PodDisruptionBudget',
    'Service',
    'Service',
    'ServiceAccount',
  ])
})

test('everything on: settings reach the exporter as whole numbers, SDKAppIDs given as numbers included', () => {
  const { config } = exporterOf('everything-values.yaml')
  expect([...(config.sdkAppIds ?? [])]).toEqual(['1400123456', '1400654321'])
  expect(config.maxSeries).toBe(1_000_000)
  expect(config.alertTtlSeconds).toBe(600)
  expect(config.callbackPath).toBe('/tencent/chat-callback')
  expect(config.maxClockSkewSeconds).toBe(30)
  expect(config.logLevel).toBe('debug')
  const pod = findSidecarPod(objectsOf('everything-values.yaml'))
  expect(pod.exporter.image).toBe(`${IMAGE}:0.1.0-rc.1`)
  expect(pod.labels).toMatchObject({ team: 'messaging', 'example.com/tier': 'monitoring' })
})

test('everything on: the PrometheusRule holds exactly the bundled rule groups', () => {
  const rule = findObject(objectsOf('everything-values.yaml'), 'PrometheusRule')
  const bundled = parse(readFileSync(join(REPO_ROOT, RULES_PATH), 'utf8'))
  expect(rule.spec).toEqual({ groups: bundled.groups })
  expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' })
  // Helm read the rules untemplated: Prometheus's own template syntax is intact.
  expect(JSON.stringify(rule.spec)).toContain('{{ $labels.sdkappid }}')
  expect(readFileSync(join(REPO_ROOT, CHART_RULES_PATH), 'utf8')).toContain('{{ $labels.sdkappid }}')
})

test("everything on: one ConfigMap per bundled dashboard, labelled for Grafana's sidecar, in Grafana's namespace", () => {
  const configMaps = objectsOf('everything-values.yaml').filter(
    (o) => o.kind === 'ConfigMap' && o.metadata.name !== `${fullname('everything-values.yaml')}-api-limits`,
  )
  const bundled = readdirSync(join(REPO_ROOT, DASHBOARDS_DIR)).sort()
  expect(bundled).toEqual([
    'tencent-chat-api-rate-limits.json',
    'tencent-chat-exporter-health.json',
    'tencent-chat-rest-api-usage.json',
  ])
  expect(configMaps.flatMap((c) => Object.keys(c.data ?? {})).sort()).toEqual(bundled)
  for (const configMap of configMaps) {
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' })
    expect(configMap.metadata.annotations).toEqual({ grafana_folder: 'Tencent Chat' })
    for (const [name, json] of Object.entries(configMap.data ?? {})) {
      expect(json).toBe(readFileSync(join(REPO_ROOT, DASHBOARDS_DIR, name), 'utf8').trimEnd())
      expect(JSON.parse(json).uid).toBeTruthy()
    }
  }
})

test('the front-proxy values configure the upstream', () => {
  const { config } = exporterOf('proxy-values.yaml')
  expect(config.upstream).toEqual({
    url: new URL('http://chat-backend.chat.svc.cluster.local:8080/tencent-chat/callback'),
    timeoutMs: 1500,
    failurePolicy: 'reject',
    forwardAlerts: false,
  })
  expect(exporterOf('default-values.yaml').config.upstream).toBeUndefined()
})

describe('values.schema.json', () => {
  test.each([
    [{ replicaCount: 'two' }, /replicaCount/],
    [{ replicas: 3 }, /replicas/],
    [{ ingress: { hostname: 'chat.example.com' } }, /hostname/],
    [{ config: { sdkAppIds: ['14000abc'] } }, /sdkAppIds/],
    [{ config: { logLevel: 'verbose' } }, /logLevel/],
    [{ upstream: { failurePolicy: 'maybe' } }, /failurePolicy/],
    [{ upstream: { url: 'chat-backend:8080' } }, /url/],
    [{ ports: { metrics: 70000 } }, /metrics/],
    [{ serviceMonitor: { interval: 'often' } }, /interval/],
    [{ grafanaDashboards: { labels: { grafana_dashboard: 1 } } }, /grafana_dashboard/],
    [{ webConfig: { basicAuth: { users: { prometheus: 'a plain password' } } } }, /users\/prometheus/],
    [{ webConfig: { tls: { minVersion: 'SSL3' } } }, /minVersion/],
    [{ egress: { chatRestUrl: 'http://console.tim.qq.com' } }, /chatRestUrl/],
    [{ egress: { chatRestUrl: 'https://console.tim.qq.com?sdkappid=1' } }, /chatRestUrl/],
    // helm names a key with a slash as JSON Pointer writes it: openim~1sendmsg.
    [{ egress: { limits: { sendmsg: 10 } } }, /invalid propertyName 'sendmsg'/],
    [{ egress: { limits: { 'openim/sendmsg': 0 } } }, /egress\/limits\/openim~1sendmsg/],
    [{ egress: { limits: { 'openim/sendmsg': '400' } } }, /egress\/limits\/openim~1sendmsg/],
    [{ egress: { port: 0 } }, /port/],
    [{ egress: { limit: {} } }, /limit/],
    [{ networkPolicy: { restMeterNamespaces: ['Chat Backend'] } }, /restMeterNamespaces/],
  ])('refuses %j with a message naming the value', async (values, naming) => {
    const result = await helmTemplateResult({ values })
    expect(result.code).not.toBe(0)
    expect(result.stderr).toMatch(/values don't meet the specifications of the schema/)
    expect(result.stderr).toMatch(naming)
  })

  test.each([
    [{ token: { existingSecret: 's', value: 't' } }, 'token.existingSecret and token.value are both set'],
    [
      { serviceMonitor: { enabled: true }, podMonitor: { enabled: true } },
      'serviceMonitor.enabled and podMonitor.enabled',
    ],
    [{ ingress: { enabled: true } }, 'ingress.host is required'],
    [{ ports: { callback: 9000, metrics: 9000 } }, 'ports.callback and ports.metrics must differ'],
    [{ terminationGracePeriodSeconds: 10 }, 'terminationGracePeriodSeconds must be greater'],
    [{ config: { extraEnv: [{ name: 'METRICS_PORT', value: '1' }] } }, 'config.extraEnv sets METRICS_PORT'],
    [{ config: { extraEnv: [{ name: 'EGRESS_PORT', value: '1' }] } }, 'config.extraEnv sets EGRESS_PORT'],
    [
      { config: { extraEnv: [{ name: 'CHAT_REST_URL', value: 'https://x.example.com' }] } },
      'config.extraEnv sets CHAT_REST_URL',
    ],
    [
      { egress: { enabled: true, port: 10240 } },
      'egress.port must differ from ports.callback and ports.metrics',
    ],
    [{ webConfig: { tls: { enabled: true } } }, 'webConfig.tls.existingSecret is required'],
    [{ webConfig: { basicAuth: { enabled: true } } }, 'webConfig.basicAuth.users is required'],
    [
      {
        webConfig: { basicAuth: { enabled: true, users: { prometheus: HASH } } },
        podMonitor: { enabled: true },
      },
      'webConfig.basicAuth.scrapeSecret is required',
    ],
  ])('refuses the combination %j naming the values', async (values, message) => {
    const result = await helmTemplateResult({ values })
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain(message)
  })
})

test('the notes print the callback URL to enter in the Chat console', async () => {
  const install = (file: string) =>
    helm([
      'install',
      RELEASE,
      CHART_PATH,
      '--namespace',
      NAMESPACE,
      '--dry-run=client',
      '--values',
      join(CHART_PATH, 'ci', file),
    ])
  const everything = await install('everything-values.yaml')
  expect(everything.code).toBe(0)
  expect(everything.stdout).toContain('https://chat-hooks.example.com/tencent/chat-callback')
  const proxy = await install('proxy-values.yaml')
  expect(proxy.stdout).toContain('http://chat-hooks.example.com/callback')
  expect(proxy.stdout).toContain('WARNING: the Ingress serves plain HTTP')
  const defaults = await install('default-values.yaml')
  expect(defaults.stdout).toContain('No Ingress is enabled')
  expect(defaults.stdout).toContain('WARNING: no token is set')
  expect(defaults.stdout).not.toContain('REST meter')
}, 60_000)

test("the notes print the REST meter's base URL for the app, and where it forwards", async () => {
  const result = await helm([
    'install',
    RELEASE,
    CHART_PATH,
    '--namespace',
    NAMESPACE,
    '--dry-run=client',
    '--values',
    join(CHART_PATH, 'ci', 'rest-meter-values.yaml'),
  ])
  expect(result.code).toBe(0)
  const notes = result.stdout.slice(result.stdout.indexOf('NOTES:'))
  expect(notes).toContain(`http://${RELEASE}-tencent-chat-exporter-rest-meter.${NAMESPACE}.svc:10241\n`)
  expect(notes).toContain('to https://adminapisgp.im.qcloud.com and')
  expect(notes).toContain('Per-API limits from egress.limits: 2 APIs')
  expect(notes).toContain('admin UserSig over plain HTTP')
}, 60_000)

test('a change of basic auth users rolls the Pods, since the exporter reads the web configuration at start', async () => {
  const checksum = async (users?: Record<string, string>) => {
    const objects = await helmTemplate(
      { file: 'metrics-tls-values.yaml' },
      { values: users ? { webConfig: { basicAuth: { users } } } : {} },
    )
    return findObject(objects, 'Deployment').spec.template.metadata.annotations['checksum/web-config']
  }
  const before = await checksum()
  expect(before).toMatch(/^[0-9a-f]{64}$/)
  expect(await checksum()).toBe(before)
  expect(await checksum({ grafana: HASH })).not.toBe(before)
}, 60_000)
