import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { type Config, loadConfig } from '../../src/config/config.js'
import { alertBody, callbackUrl, postCallback, sampleValue } from '../helpers/callbacks.js'
import { ciValuesFiles, helmTemplate } from './helm.js'
import { findObject, type KubeObject } from './kustomize.js'
import {
  callbackTokens,
  containerEnvironment,
  containerPort,
  findSidecarPod,
  matchesSelector,
  type SidecarPod,
} from './pod.js'
import { type RunningExporter, runExporter } from './run-exporter.js'
import { type Answer, probe, type ScrapeEndpoint, scrape } from './scrape.js'
import { withUserSecrets } from './user-secrets.js'

// The exporter started from the container that each ci/ values file renders: the chart's probes,
// ports, Services, Ingress and monitors checked against the binary itself.
const MATRIX = ciValuesFiles()
const OK_ANSWER = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 }
const APP_ANSWER = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 1 }

interface Release {
  objects: KubeObject[]
  pod: SidecarPod
  config: Config
  exporter: RunningExporter
  /** The loopback port that stands for a container port of the Pod. */
  port(containerPort: number): number
}

const releases = new Map<string, Release>()
const root = mkdtempSync(join(tmpdir(), 'tce-chart-running-'))
let app: Server
const forwarded: Array<{ url: string; body: string }> = []

/** Stands in for the app backend that front-proxy mode forwards to: answers every callback with APP_ANSWER. */
async function startApp(): Promise<Server> {
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    forwarded.push({ url: req.url ?? '', body })
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(APP_ANSWER))
  })
  server.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  return server
}

async function startRelease(file: string): Promise<Release> {
  const objects = withUserSecrets(await helmTemplate({ file }))
  const pod = findSidecarPod(objects)
  const env = containerEnvironment(objects, pod, pod.exporter, join(root, file))
  const config = loadConfig(env)
  if (config.upstream) {
    // The app's Service in the cluster is the stand-in app here.
    const url = new URL(config.upstream.url)
    url.hostname = '127.0.0.1'
    url.port = String((app.address() as AddressInfo).port)
    env.UPSTREAM_URL = url.href
  }
  const exporter = await runExporter(env)
  const ports = new Map([[config.port, exporter.callbackPort]])
  if (config.metricsPort !== undefined && exporter.metricsPort !== undefined) {
    ports.set(config.metricsPort, exporter.metricsPort)
  }
  return {
    objects,
    pod,
    config,
    exporter,
    port: (number) => {
      const local = ports.get(number)
      if (local === undefined) throw new Error(`nothing in the Pod listens on port ${number}`)
      return local
    },
  }
}

beforeAll(async () => {
  app = await startApp()
  const started = await Promise.allSettled(MATRIX.map((file) => startRelease(file)))
  for (const [index, file] of MATRIX.entries()) {
    const result = started[index]
    if (result?.status === 'fulfilled') releases.set(file, result.value)
  }
  for (const result of started) if (result.status === 'rejected') throw result.reason
}, 120_000)

afterAll(async () => {
  for (const release of releases.values()) release.exporter.child.kill('SIGKILL')
  app?.close()
  rmSync(root, { recursive: true, force: true })
})

const releaseOf = (file: string): Release => releases.get(file) as Release

/** The loopback address of a port of the exporter container (by name or number). */
const urlFor = (release: Release, port: string | number, path: string) =>
  `http://127.0.0.1:${release.port(containerPort(release.pod.exporter, port))}${path}`

/** Where a Service port sends traffic: the container port it targets. */
function serviceUrl(release: Release, service: KubeObject, portName: string, path: string): string {
  const port = service.spec.ports.find((p: { name: string }) => p.name === portName)
  return urlFor(release, port.targetPort, path)
}

/** The callback URL as Chat reaches it: the Ingress rule's path, else the callback path, on the callback Service. */
function callbackBase(release: Release): { base: string; path: string } {
  const ingress = release.objects.find((o) => o.kind === 'Ingress')
  if (ingress) {
    const [rule] = ingress.spec.rules[0].http.paths
    const service = findObject(release.objects, 'Service', rule.backend.service.name)
    return { base: serviceUrl(release, service, rule.backend.service.port.name, ''), path: rule.path }
  }
  const service = findObject(release.objects, 'Service', release.pod.deployment.metadata.name)
  return {
    base: serviceUrl(release, service, service.spec.ports[0].name, ''),
    path: release.config.callbackPath,
  }
}

/**
 * What Prometheus scrapes: the monitor's endpoint (with its scheme, TLS and basic auth), or the metrics
 * Service's port without a monitor.
 */
function scrapeTarget(release: Release): { endpoint: ScrapeEndpoint; port: number } {
  const local = (port: string | number) => release.port(containerPort(release.pod.exporter, port))
  const podMonitor = release.objects.find((o) => o.kind === 'PodMonitor')
  if (podMonitor) {
    const [endpoint] = podMonitor.spec.podMetricsEndpoints
    return { endpoint, port: local(endpoint.port) }
  }
  const serviceMonitor = release.objects.find((o) => o.kind === 'ServiceMonitor')
  const service = release.objects.find(
    (o) =>
      o.kind === 'Service' &&
      (serviceMonitor
        ? matchesSelector(serviceMonitor.spec.selector.matchLabels, o.metadata.labels ?? {})
        : o.spec.clusterIP === 'None'),
  ) as KubeObject
  const endpoint = serviceMonitor?.spec.endpoints[0] ?? { port: service.spec.ports[0].name, path: '/metrics' }
  const port = service.spec.ports.find((p: { name: string }) => p.name === endpoint.port)
  return { endpoint, port: local(port.targetPort) }
}

const scrapeRelease = (release: Release): Promise<Answer> => {
  const { endpoint, port } = scrapeTarget(release)
  return scrape(release.objects, endpoint, port)
}

// Before the SIGTERM tests below stop the exporters.
test('the front-proxy values forward other callbacks to the app and answer with its answer', async () => {
  const release = releaseOf('proxy-values.yaml')
  const { base, path } = callbackBase(release)
  const sdkAppId = [...(release.config.sdkAppIds ?? [])][0]
  const body = JSON.stringify({
    CallbackCommand: 'C2C.CallbackBeforeSendMsg',
    From_Account: 'a',
    To_Account: 'b',
  })
  const answer = await postCallback(
    callbackUrl(base, {
      sdkAppId,
      token: callbackTokens(release.config)[0],
      path,
      command: 'C2C.CallbackBeforeSendMsg',
    }),
    body,
  )
  expect(answer.status).toBe(200)
  expect(JSON.parse(answer.text)).toEqual(APP_ANSWER)
  expect(forwarded.at(-1)?.url.startsWith('/tencent-chat/callback?')).toBe(true)
  expect(forwarded.at(-1)?.body).toBe(body)
})

describe.each(MATRIX)('%s, started from its rendered container', (file) => {
  test('answers the liveness and readiness probes on the paths and ports of the Deployment', async () => {
    const release = releaseOf(file)
    for (const { httpGet } of [release.pod.exporter.livenessProbe, release.pod.exporter.readinessProbe]) {
      const answer = await probe(httpGet, release.port(containerPort(release.pod.exporter, httpGet.port)))
      expect(answer.status, `${httpGet.path} on ${httpGet.port}`).toBe(200)
    }
  })

  test('serves the Prometheus text format where, and as, Prometheus scrapes it', async () => {
    const answer = await scrapeRelease(releaseOf(file))
    expect(answer.status).toBe(200)
    expect(answer.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(answer.body).toContain('tencent_chat_exporter_build_info{')
  })

  test('refuses a scrape without the credentials or over plain HTTP when the monitor uses them', async () => {
    const release = releaseOf(file)
    const { endpoint, port } = scrapeTarget(release)
    if (endpoint.basicAuth) {
      const anonymous = await scrape(release.objects, { ...endpoint, basicAuth: undefined }, port)
      expect(anonymous.status).toBe(401)
    }
    if (endpoint.scheme === 'https') {
      await expect(scrape(release.objects, { ...endpoint, scheme: 'http' }, port)).rejects.toThrow()
    }
  })

  test('keeps /metrics, and every path but the callback path, off what the Ingress routes to', async () => {
    const release = releaseOf(file)
    const { base } = callbackBase(release)
    expect((await fetch(`${base}/metrics`)).status).toBe(404)
    expect((await fetch(`${base}/callback-not`, { method: 'POST', body: '{}' })).status).toBe(404)
  })

  test('turns a callback signed with the Secret token, sent to the callback URL, into metrics', async () => {
    const release = releaseOf(file)
    const { base, path } = callbackBase(release)
    const sdkAppId = [...(release.config.sdkAppIds ?? ['1400000001'])][0] as string
    const [token] = callbackTokens(release.config)
    const answer = await postCallback(
      callbackUrl(base, { sdkAppId, token, path }),
      alertBody({ Command: 'sendmsg', Request: 180 }),
    )
    expect(answer.status).toBe(200)
    const forwardsAlarms = release.config.upstream?.forwardAlerts === true
    expect(JSON.parse(answer.text)).toEqual(forwardsAlarms ? APP_ANSWER : OK_ANSWER)
    const exposition = (await scrapeRelease(release)).body
    expect(
      sampleValue(exposition, 'tencent_chat_api_requests_per_second', {
        sdkappid: sdkAppId,
        command: 'sendmsg',
      }),
    ).toBe(180)
    const unsigned = await postCallback(callbackUrl(base, { sdkAppId, path }), alertBody())
    expect(unsigned.status).toBe(token === undefined ? 200 : 401)
  })

  test('exits 0 on SIGTERM well within the termination grace period', async () => {
    const release = releaseOf(file)
    const { code, ms } = await release.exporter.stop()
    expect(code).toBe(0)
    expect(ms).toBeLessThan(release.pod.podSpec.terminationGracePeriodSeconds * 1000)
  })
})
