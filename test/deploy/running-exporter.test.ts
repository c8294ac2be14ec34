import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Config, loadConfig } from '../../src/config/config.js'
import { alertBody, callbackUrl, postCallback, sampleValue } from '../helpers/callbacks.js'
import { findObject, type KubeObject, kustomize } from './kustomize.js'
import {
  callbackTokens,
  containerEnvironment,
  containerPort,
  findSidecarPod,
  matchesSelector,
  type SidecarPod,
} from './pod.js'
import { type RunningExporter, runExporter } from './run-exporter.js'
import { probe, type ScrapeEndpoint, scrape } from './scrape.js'
import { withUserSecrets } from './user-secrets.js'

// The exporter started from each example's rendered container spec: the manifests' probe paths,
// ports and monitor endpoints are checked against the binary itself, never against a copy.
const EXAMPLES = [
  'examples/sidecar',
  'examples/service-monitor',
  'examples/proxy-mode',
  'examples/native-sidecar',
  'examples/metrics-tls',
]
const OK_ANSWER = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 }
const APP_ANSWER = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 1 }

interface Example {
  objects: KubeObject[]
  pod: SidecarPod
  config: Config
  token: string
  exporter: RunningExporter
  /** Maps a container port of the Pod to the loopback port that stands for it here. */
  port(containerPort: number): number
}

/** Stands in for the app container in proxy mode: answers every callback with APP_ANSWER. */
interface FakeApp {
  server: Server
  requests: Array<{ url: string; body: string }>
}

const examples = new Map<string, Example>()
const root = mkdtempSync(join(tmpdir(), 'tce-running-'))
let fakeApp: FakeApp

async function startFakeApp(): Promise<FakeApp> {
  const requests: FakeApp['requests'] = []
  const server = createServer(async (req: IncomingMessage, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    requests.push({ url: req.url ?? '', body })
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(APP_ANSWER))
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return { server, requests }
}

async function startExample(dir: string): Promise<Example> {
  const objects = withUserSecrets(await kustomize(dir))
  const pod = findSidecarPod(objects)
  const env = containerEnvironment(objects, pod, pod.exporter, join(root, dir))
  const config = loadConfig(env)
  const ports = new Map<number, number>()
  if (config.upstream) {
    // The app container's port, reached over the Pod's loopback, is the fake app here.
    const fakePort = (fakeApp.server.address() as AddressInfo).port
    ports.set(Number(config.upstream.url.port), fakePort)
    const url = new URL(config.upstream.url)
    url.port = String(fakePort)
    env.UPSTREAM_URL = url.href
  }
  const exporter = await runExporter(env)
  ports.set(config.port, exporter.callbackPort)
  if (config.metricsPort !== undefined && exporter.metricsPort !== undefined) {
    ports.set(config.metricsPort, exporter.metricsPort)
  }
  return {
    objects,
    pod,
    config,
    token: callbackTokens(config)[0] ?? '',
    exporter,
    port: (containerPortNumber) => {
      const local = ports.get(containerPortNumber)
      if (local === undefined) throw new Error(`nothing in the Pod listens on port ${containerPortNumber}`)
      return local
    },
  }
}

beforeAll(async () => {
  fakeApp = await startFakeApp()
  // allSettled, so that afterAll stops every exporter that did start when another one failed.
  const started = await Promise.allSettled(EXAMPLES.map((dir) => startExample(dir)))
  for (const [index, dir] of EXAMPLES.entries()) {
    const result = started[index]
    if (result?.status === 'fulfilled') examples.set(dir, result.value)
  }
  for (const result of started) if (result.status === 'rejected') throw result.reason
}, 90_000)

afterAll(async () => {
  for (const example of examples.values()) example.exporter.child.kill('SIGKILL')
  fakeApp?.server.close()
  rmSync(root, { recursive: true, force: true })
})

const exampleOf = (dir: string): Example => examples.get(dir) as Example

/** The loopback URL for a port that the manifests name (a container port name or number). */
const urlFor = (example: Example, port: string | number, path: string) =>
  `http://127.0.0.1:${example.port(containerPort(example.pod.exporter, port))}${path}`

/** The metrics endpoints the example's PodMonitor or ServiceMonitor scrapes, with their loopback ports. */
function monitorEndpoints(example: Example): Array<{ endpoint: ScrapeEndpoint; port: number }> {
  const local = (port: string | number) => example.port(containerPort(example.pod.exporter, port))
  const podMonitor = example.objects.find((o) => o.kind === 'PodMonitor')
  if (podMonitor) {
    return podMonitor.spec.podMetricsEndpoints.map((endpoint: ScrapeEndpoint & { port: string }) => ({
      endpoint,
      port: local(endpoint.port),
    }))
  }
  const serviceMonitor = findObject(example.objects, 'ServiceMonitor')
  const service = example.objects.find(
    (o) =>
      o.kind === 'Service' &&
      matchesSelector(serviceMonitor.spec.selector.matchLabels, o.metadata.labels ?? {}),
  )
  if (!service) throw new Error('no Service matches the ServiceMonitor')
  return serviceMonitor.spec.endpoints.map((endpoint: ScrapeEndpoint & { port: string }) => {
    const port = service.spec.ports.find((p: { name: string }) => p.name === endpoint.port)
    return { endpoint, port: local(port.targetPort) }
  })
}

/** The callback listener as Tencent Chat reaches it: through the Service's target port. */
function serviceUrl(example: Example): string {
  const service = findObject(example.objects, 'Service', 'tencent-chat-exporter')
  return urlFor(example, service.spec.ports[0].targetPort, '')
}

// Before the SIGTERM tests below stop the exporters.
test('proxy mode forwards other callbacks to the app container over loopback and answers with its answer', async () => {
  const example = exampleOf('examples/proxy-mode')
  const sdkAppId = [...(example.config.sdkAppIds ?? ['1400000001'])][0]
  const url = callbackUrl(serviceUrl(example), {
    sdkAppId,
    token: example.token,
    path: example.config.callbackPath,
    command: 'C2C.CallbackBeforeSendMsg',
  })
  const body = JSON.stringify({
    CallbackCommand: 'C2C.CallbackBeforeSendMsg',
    From_Account: 'a',
    To_Account: 'b',
  })
  const answer = await postCallback(url, body)
  expect(answer.status).toBe(200)
  expect(JSON.parse(answer.text)).toEqual(APP_ANSWER)
  const forwarded = fakeApp.requests.at(-1)
  expect(forwarded?.url.startsWith(`${example.config.upstream?.url.pathname}?`)).toBe(true)
  expect(forwarded?.body).toBe(body)
})

describe.each(EXAMPLES)('%s, started from its rendered container spec', (dir) => {
  test('answers the liveness and readiness probes on the paths, ports and schemes of the manifest', async () => {
    const example = exampleOf(dir)
    for (const { httpGet } of [example.pod.exporter.livenessProbe, example.pod.exporter.readinessProbe]) {
      const answer = await probe(httpGet, example.port(containerPort(example.pod.exporter, httpGet.port)))
      expect(answer.status, `${httpGet.path} on ${httpGet.port}`).toBe(200)
    }
  })

  test('serves the Prometheus text format on every monitor endpoint, scraped as the monitor says', async () => {
    const example = exampleOf(dir)
    const endpoints = monitorEndpoints(example)
    expect(endpoints.length).toBeGreaterThan(0)
    for (const { endpoint, port } of endpoints) {
      const answer = await scrape(example.objects, endpoint, port)
      expect(answer.status).toBe(200)
      expect(answer.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
      expect(answer.body).toContain('tencent_chat_exporter_build_info{')
    }
  })

  test('refuses a scrape without the credentials or over plain HTTP when the monitor uses them', async () => {
    const example = exampleOf(dir)
    for (const { endpoint, port } of monitorEndpoints(example)) {
      if (endpoint.basicAuth) {
        const anonymous = await scrape(example.objects, { ...endpoint, basicAuth: undefined }, port)
        expect(anonymous.status).toBe(401)
      }
      if (endpoint.scheme === 'https') {
        await expect(scrape(example.objects, { ...endpoint, scheme: 'http' }, port)).rejects.toThrow()
      }
    }
  })

  test('keeps /metrics off the callback port, which the NetworkPolicy leaves open', async () => {
    const example = exampleOf(dir)
    const response = await fetch(`${serviceUrl(example)}/metrics`)
    expect(response.status).toBe(404)
  })

  test('turns a callback signed with the Secret token, sent to the Service, into metrics', async () => {
    const example = exampleOf(dir)
    const sdkAppId = [...(example.config.sdkAppIds ?? ['1400000001'])][0]
    const url = callbackUrl(serviceUrl(example), {
      sdkAppId,
      token: example.token,
      path: example.config.callbackPath,
    })
    const answer = await postCallback(url, alertBody({ Command: 'sendmsg', Request: 180 }))
    expect(answer.status).toBe(200)
    // In proxy mode the app's answer goes back to Chat, alarms included (UPSTREAM_FORWARD_ALERTS).
    expect(JSON.parse(answer.text)).toEqual(example.config.upstream ? APP_ANSWER : OK_ANSWER)
    const [scraped] = monitorEndpoints(example)
    if (!scraped) throw new Error('no monitor endpoint')
    const exposition = (await scrape(example.objects, scraped.endpoint, scraped.port)).body
    expect(
      sampleValue(exposition, 'tencent_chat_api_requests_per_second', {
        sdkappid: sdkAppId ?? '',
        command: 'sendmsg',
      }),
    ).toBe(180)
    const unsigned = await postCallback(callbackUrl(serviceUrl(example), { sdkAppId }), alertBody())
    expect(unsigned.status).toBe(401)
  })

  test('exits 0 on SIGTERM well within the Pod termination grace period', async () => {
    const example = exampleOf(dir)
    const { code, ms } = await example.exporter.stop()
    expect(code).toBe(0)
    expect(ms).toBeLessThan(example.pod.podSpec.terminationGracePeriodSeconds * 1000)
  })
})
