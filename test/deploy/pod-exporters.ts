import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect } from 'vitest'
import type { KubeObject } from './kustomize.js'
import { containerPort, type ExporterInPod, exporterInPod } from './pod.js'
import { type RunningExporter, runExporter } from './run-exporter.js'
import { probe, type ScrapeEndpoint, scrape } from './scrape.js'

// The exporter started from rendered Pods (the chart's ci values, the kustomize examples), one per
// Pod, for a test file, and the checks that hold for each of them.

/** The exporter's own answer to a callback, and the stand-in app's (ErrorCode 1 tells them apart). */
export const OK_ANSWER = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 0 }
export const APP_ANSWER = { ActionStatus: 'OK', ErrorInfo: '', ErrorCode: 1 }

/** A callback that the stand-in app received. */
export interface Forwarded {
  url: string
  body: string
}

/** Stands in for the app backend that front-proxy mode forwards to: answers every callback with APP_ANSWER. */
async function startStandInApp(received: Forwarded[]): Promise<Server> {
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    received.push({ url: req.url ?? '', body })
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify(APP_ANSWER))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server
}

/** The exporter started from a rendered Pod's container, on loopback ports that stand for the Pod's. */
export interface PodExporter extends ExporterInPod {
  running: RunningExporter
  /** The loopback port that stands for a port of the exporter container (by name or number). */
  port(port: string | number): number
  /** The loopback URL of a port of the exporter container (by name or number). */
  url(port: string | number, path: string): string
}

/**
 * Starts the exporter with the environment that the kubelet would give its container. UPSTREAM_URL
 * (the app's Service, or its container port on the Pod's loopback) leads to the stand-in app.
 */
async function startPodExporter(rendered: KubeObject[], root: string, app: Server): Promise<PodExporter> {
  const inPod = exporterInPod(rendered, root)
  const { config, env, exporter } = inPod
  if (config.upstream) {
    const url = new URL(config.upstream.url)
    url.hostname = '127.0.0.1'
    url.port = String((app.address() as AddressInfo).port)
    env.UPSTREAM_URL = url.href
  }
  const running = await runExporter(env)
  const ports = new Map([[config.port, running.callbackPort]])
  if (config.metricsPort !== undefined && running.metricsPort !== undefined) {
    ports.set(config.metricsPort, running.metricsPort)
  }
  if (config.egress !== undefined && running.egressPort !== undefined) {
    ports.set(config.egress.port, running.egressPort)
  }
  const port = (name: string | number) => {
    const number = containerPort(exporter, name)
    const local = ports.get(number)
    if (local === undefined) throw new Error(`nothing in the Pod listens on port ${number}`)
    return local
  }
  return { ...inPod, running, port, url: (name, path) => `http://127.0.0.1:${port(name)}${path}` }
}

/** The exporters that `startPodExporters` started, by key, and what the stand-in app received. */
export interface PodExporters {
  of(key: string): PodExporter
  forwarded: Forwarded[]
}

/**
 * Before the file's tests, starts an exporter from the Pod that `render` renders for each key, and
 * the stand-in app; after them, kills what started and removes the mounted files.
 */
export function startPodExporters(
  keys: string[],
  render: (key: string) => Promise<KubeObject[]>,
  timeoutMs: number,
): PodExporters {
  const started = new Map<string, PodExporter>()
  const forwarded: Forwarded[] = []
  const root = mkdtempSync(join(tmpdir(), 'tce-pod-exporters-'))
  let app: Server | undefined
  beforeAll(async () => {
    const server = await startStandInApp(forwarded)
    app = server
    // allSettled, so that afterAll stops every exporter that did start when another one failed.
    const results = await Promise.allSettled(
      keys.map(async (key) => startPodExporter(await render(key), join(root, key), server)),
    )
    for (const [index, key] of keys.entries()) {
      const result = results[index]
      if (result?.status === 'fulfilled') started.set(key, result.value)
    }
    for (const result of results) if (result.status === 'rejected') throw result.reason
  }, timeoutMs)
  afterAll(() => {
    for (const exporter of started.values()) exporter.running.child.kill('SIGKILL')
    app?.close()
    rmSync(root, { recursive: true, force: true })
  })
  return {
    of: (key) => {
      const exporter = started.get(key)
      if (!exporter) throw new Error(`no exporter started for ${key}`)
      return exporter
    },
    forwarded,
  }
}

/** The kubelet's liveness and readiness probes of the exporter container, each answered with 200. */
export async function expectProbesAnswered(started: PodExporter): Promise<void> {
  for (const { httpGet } of [started.exporter.livenessProbe, started.exporter.readinessProbe]) {
    const answer = await probe(httpGet, started.port(httpGet.port))
    expect(answer.status, `${httpGet.path} on ${httpGet.port}`).toBe(200)
  }
}

/** Where the monitor's endpoint has basic auth, a scrape without it gets 401; where HTTPS, plain HTTP fails. */
export async function expectScrapeRefusedWithoutCredentialsOrTls(
  objects: KubeObject[],
  endpoint: ScrapeEndpoint,
  port: number,
): Promise<void> {
  if (endpoint.basicAuth) {
    const anonymous = await scrape(objects, { ...endpoint, basicAuth: undefined }, port)
    expect(anonymous.status).toBe(401)
  }
  if (endpoint.scheme === 'https') {
    await expect(scrape(objects, { ...endpoint, scheme: 'http' }, port)).rejects.toThrow()
  }
}

/** SIGTERM: the exporter exits 0 well within the Pod's termination grace period. */
export async function expectExitsWithinGracePeriod(started: PodExporter): Promise<void> {
  const { code, ms } = await started.running.stop()
  expect(code).toBe(0)
  expect(ms).toBeLessThan(started.pod.podSpec.terminationGracePeriodSeconds * 1000)
}
