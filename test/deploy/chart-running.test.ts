import { describe, expect, test } from 'vitest'
import { alertBody, callbackUrl, postCallback, sampleValue } from '../helpers/callbacks.js'
import { ciValuesFiles, helmTemplate } from './helm.js'
import { findObject, type KubeObject } from './kustomize.js'
import { callbackTokens, monitorEndpoints, servicePort } from './pod.js'
import {
  APP_ANSWER,
  expectExitsWithinGracePeriod,
  expectProbesAnswered,
  expectScrapeRefusedWithoutCredentialsOrTls,
  OK_ANSWER,
  type PodExporter,
  startPodExporters,
} from './pod-exporters.js'
import { type Answer, type ScrapeEndpoint, scrape } from './scrape.js'

// The exporter started from the container that each ci/ values file renders: the chart's probes,
// ports, Services, Ingress and monitors checked against the binary itself.
const MATRIX = ciValuesFiles()
const releases = startPodExporters(MATRIX, (file) => helmTemplate({ file }), 120_000)

/** Where a Service port sends traffic: the container port it targets. */
function serviceUrl(release: PodExporter, service: KubeObject, portName: string, path: string): string {
  return release.url(servicePort(service, portName).targetPort, path)
}

/** The callback URL as Chat reaches it: the Ingress rule's path, else the callback path, on the callback Service. */
function callbackBase(release: PodExporter): { base: string; path: string } {
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
function scrapeTarget(release: PodExporter): { endpoint: ScrapeEndpoint; port: number } {
  const [monitored] = monitorEndpoints(release.objects)
  if (monitored) return { endpoint: monitored.endpoint, port: release.port(monitored.port) }
  const service = release.objects.find(
    (o) => o.kind === 'Service' && o.spec.clusterIP === 'None',
  ) as KubeObject
  return { endpoint: { path: '/metrics' }, port: release.port(service.spec.ports[0].targetPort) }
}

const scrapeRelease = (release: PodExporter): Promise<Answer> => {
  const { endpoint, port } = scrapeTarget(release)
  return scrape(release.objects, endpoint, port)
}

// Before the SIGTERM tests below stop the exporters.
test('the front-proxy values forward other callbacks to the app and answer with its answer', async () => {
  const release = releases.of('proxy-values.yaml')
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
  expect(releases.forwarded.at(-1)?.url.startsWith('/tencent-chat/callback?')).toBe(true)
  expect(releases.forwarded.at(-1)?.body).toBe(body)
})

test.each(MATRIX.filter((file) => ['rest-meter-values.yaml', 'everything-values.yaml'].includes(file)))(
  '%s starts the REST meter behind its Service, answering as the meter does',
  async (file) => {
    const release = releases.of(file)
    expect(release.config.egress).toBeDefined()
    const service = findObject(
      release.objects,
      'Service',
      `${release.pod.deployment.metadata.name}-rest-meter`,
    )
    const base = serviceUrl(release, service, 'rest-meter', '')
    // Refusals the meter gives itself, so that nothing here leaves the machine for Chat.
    const refused = async (path: string, init: RequestInit, status: number, reason: string) => {
      const response = await fetch(`${base}${path}`, init)
      expect(response.status, path).toBe(status)
      const answer = (await response.json()) as { ActionStatus: string; ErrorCode: number; ErrorInfo: string }
      expect(answer.ActionStatus).toBe('FAIL')
      expect(answer.ErrorCode).not.toBe(0)
      expect(answer.ErrorInfo).toMatch(new RegExp(`^tencent-chat-exporter: ${reason}`))
    }
    await refused(
      '/v4/openim/sendmsg?sdkappid=1400999999&identifier=admin&usersig=x&random=1',
      { method: 'POST', body: '{}' },
      403,
      'sdkappid_not_allowed',
    )
    await refused('/v4/openim/sendmsg?sdkappid=1400999999', { method: 'GET' }, 405, 'method_not_allowed')
    await refused('/metrics', { method: 'POST', body: '{}' }, 404, 'not_a_chat_api')
    const exposition = (await scrapeRelease(release)).body
    expect(
      sampleValue(exposition, 'tencent_chat_exporter_rejected_rest_requests_total', {
        reason: 'sdkappid_not_allowed',
      }),
    ).toBe(1)
    // egress.limits, read from the mounted ConfigMap.
    expect(sampleValue(exposition, 'tencent_chat_exporter_api_limits_file_last_reload_successful', {})).toBe(
      1,
    )
  },
)

describe.each(MATRIX)('%s, started from its rendered container', (file) => {
  test('answers the liveness and readiness probes on the paths and ports of the Deployment', async () => {
    await expectProbesAnswered(releases.of(file))
  })

  test('serves the Prometheus text format where, and as, Prometheus scrapes it', async () => {
    const answer = await scrapeRelease(releases.of(file))
    expect(answer.status).toBe(200)
    expect(answer.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(answer.body).toContain('tencent_chat_exporter_build_info{')
  })

  test('refuses a scrape without the credentials or over plain HTTP when the monitor uses them', async () => {
    const release = releases.of(file)
    const { endpoint, port } = scrapeTarget(release)
    await expectScrapeRefusedWithoutCredentialsOrTls(release.objects, endpoint, port)
  })

  test('keeps /metrics, and every path but the callback path, off what the Ingress routes to', async () => {
    const release = releases.of(file)
    const { base } = callbackBase(release)
    expect((await fetch(`${base}/metrics`)).status).toBe(404)
    expect((await fetch(`${base}/callback-not`, { method: 'POST', body: '{}' })).status).toBe(404)
  })

  test('turns a callback signed with the Secret token, sent to the callback URL, into metrics', async () => {
    const release = releases.of(file)
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
    await expectExitsWithinGracePeriod(releases.of(file))
  })
})
