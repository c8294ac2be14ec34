import { describe, expect, test } from 'vitest'
import { alertBody, callbackUrl, postCallback, sampleValue } from '../helpers/callbacks.js'
import { EXAMPLES, findObject, kustomize } from './kustomize.js'
import { callbackTokens, monitorEndpoints } from './pod.js'
import {
  APP_ANSWER,
  expectExitsWithinGracePeriod,
  expectProbesAnswered,
  expectScrapeRefusedWithoutCredentialsOrTls,
  OK_ANSWER,
  type PodExporter,
  startPodExporters,
} from './pod-exporters.js'
import { type ScrapeEndpoint, scrape } from './scrape.js'

// The exporter started from each example's rendered container spec: the manifests' probe paths,
// ports and monitor endpoints are checked against the binary itself, never against a copy.
const examples = startPodExporters(EXAMPLES, kustomize, 90_000)

const tokenOf = (example: PodExporter): string => callbackTokens(example.config)[0] ?? ''

/** The metrics endpoints the example's PodMonitor or ServiceMonitor scrapes, with their loopback ports. */
function monitorTargets(example: PodExporter): Array<{ endpoint: ScrapeEndpoint; port: number }> {
  const endpoints = monitorEndpoints(example.objects)
  if (endpoints.length === 0) throw new Error('no PodMonitor or ServiceMonitor')
  return endpoints.map(({ endpoint, port }) => ({ endpoint, port: example.port(port) }))
}

/** The callback listener as Tencent Chat reaches it: through the Service's target port. */
function serviceUrl(example: PodExporter): string {
  const service = findObject(example.objects, 'Service', 'tencent-chat-exporter')
  return example.url(service.spec.ports[0].targetPort, '')
}

// Before the SIGTERM tests below stop the exporters.
test('proxy mode forwards other callbacks to the app container over loopback and answers with its answer', async () => {
  const example = examples.of('examples/proxy-mode')
  const sdkAppId = [...(example.config.sdkAppIds ?? ['1400000001'])][0]
  const url = callbackUrl(serviceUrl(example), {
    sdkAppId,
    token: tokenOf(example),
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
  const forwarded = examples.forwarded.at(-1)
  expect(forwarded?.url.startsWith(`${example.config.upstream?.url.pathname}?`)).toBe(true)
  expect(forwarded?.body).toBe(body)
})

test("the rest-meter example's meter answers at the base URL the app container is given", async () => {
  const example = examples.of('examples/rest-meter')
  const app = example.pod.appContainers[0]
  const baseUrl = new URL(
    app?.env.find((v: { name: string }) => v.name === 'TENCENT_CHAT_REST_BASE_URL').value as string,
  )
  const meter = example.url(Number(baseUrl.port), '')
  // An app not in SDKAPPIDS: the meter's own refusal, so that nothing here leaves the machine for Chat.
  const response = await fetch(
    `${meter}/v4/openim/sendmsg?sdkappid=1400999999&identifier=admin&usersig=x&random=1`,
    {
      method: 'POST',
      body: '{}',
    },
  )
  expect(response.status).toBe(403)
  const answer = (await response.json()) as { ErrorInfo: string }
  expect(answer.ErrorInfo).toMatch(/^tencent-chat-exporter: sdkappid_not_allowed/)
  const [scraped] = monitorTargets(example)
  if (!scraped) throw new Error('no monitor endpoint')
  const exposition = (await scrape(example.objects, scraped.endpoint, scraped.port)).body
  expect(
    sampleValue(exposition, 'tencent_chat_exporter_rejected_rest_requests_total', {
      reason: 'sdkappid_not_allowed',
    }),
  ).toBe(1)
  expect(sampleValue(exposition, 'tencent_chat_exporter_api_limits_file_last_reload_successful')).toBe(1)
})

describe.each(EXAMPLES)('%s, started from its rendered container spec', (dir) => {
  test('answers the liveness and readiness probes on the paths, ports and schemes of the manifest', async () => {
    await expectProbesAnswered(examples.of(dir))
  })

  test('serves the Prometheus text format on every monitor endpoint, scraped as the monitor says', async () => {
    const example = examples.of(dir)
    const endpoints = monitorTargets(example)
    expect(endpoints.length).toBeGreaterThan(0)
    for (const { endpoint, port } of endpoints) {
      const answer = await scrape(example.objects, endpoint, port)
      expect(answer.status).toBe(200)
      expect(answer.contentType).toBe('text/plain; version=0.0.4; charset=utf-8')
      expect(answer.body).toContain('tencent_chat_exporter_build_info{')
    }
  })

  test('refuses a scrape without the credentials or over plain HTTP when the monitor uses them', async () => {
    const example = examples.of(dir)
    for (const { endpoint, port } of monitorTargets(example)) {
      await expectScrapeRefusedWithoutCredentialsOrTls(example.objects, endpoint, port)
    }
  })

  test('keeps /metrics off the callback port, which the NetworkPolicy leaves open', async () => {
    const example = examples.of(dir)
    const response = await fetch(`${serviceUrl(example)}/metrics`)
    expect(response.status).toBe(404)
  })

  test('turns a callback signed with the Secret token, sent to the Service, into metrics', async () => {
    const example = examples.of(dir)
    const sdkAppId = [...(example.config.sdkAppIds ?? ['1400000001'])][0]
    const url = callbackUrl(serviceUrl(example), {
      sdkAppId,
      token: tokenOf(example),
      path: example.config.callbackPath,
    })
    const answer = await postCallback(url, alertBody({ Command: 'sendmsg', Request: 180 }))
    expect(answer.status).toBe(200)
    // In proxy mode the app's answer goes back to Chat, alarms included (UPSTREAM_FORWARD_ALERTS).
    expect(JSON.parse(answer.text)).toEqual(example.config.upstream ? APP_ANSWER : OK_ANSWER)
    const [scraped] = monitorTargets(example)
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
    await expectExitsWithinGracePeriod(examples.of(dir))
  })
})
