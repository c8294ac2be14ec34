import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl, postCallback } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'

let exporter: TestExporter
beforeAll(async () => {
  exporter = await startExporter({ config: { callbackPath: '/im/callback' } })
})
afterAll(() => exporter.close())

describe('operations routes', () => {
  it('shows the status page with links (test/status has the rest)', async () => {
    const answer = await fetch(`${exporter.url}/`)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await answer.text()
    for (const link of ['/metrics', '/api/v1/status', '/-/healthy', '/-/ready']) {
      expect(html).toContain(`href="${link}"`)
    }
    expect(html).toContain('/im/callback</code>')
  })

  it.each(['/-/healthy', '/healthz', '/-/ready', '/readyz'])('%s answers 200', async (path) => {
    expect((await fetch(`${exporter.url}${path}`)).status).toBe(200)
  })

  it('reports not ready (503) while not serving, and healthy all the same', async () => {
    exporter.exporter.readiness.ready = false
    try {
      expect((await fetch(`${exporter.url}/-/ready`)).status).toBe(503)
      expect((await fetch(`${exporter.url}/readyz`)).status).toBe(503)
      expect((await fetch(`${exporter.url}/-/healthy`)).status).toBe(200)
    } finally {
      exporter.exporter.readiness.ready = true
    }
  })

  it('serves callbacks on CALLBACK_PATH only', async () => {
    expect(
      (await postCallback(callbackUrl(exporter.url, { path: '/im/callback' }), alertBody())).status,
    ).toBe(200)
    const answer = await postCallback(callbackUrl(exporter.url), alertBody())
    expect(answer.status).toBe(404)
  })

  it('answers unknown paths with 404 in the FAIL JSON shape, not counted as callbacks', async () => {
    const callbacks = async () => {
      const text = await (await fetch(`${exporter.url}/metrics`)).text()
      return text.split('\n').filter((line) => line.startsWith('tencent_chat_exporter_callbacks_total'))
    }
    const before = await callbacks()
    const answer = await fetch(`${exporter.url}/nope?x=1`)
    expect(answer.status).toBe(404)
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await answer.json()).toEqual({
      ActionStatus: 'FAIL',
      ErrorCode: 404,
      ErrorInfo: 'not_found: no route for GET /nope',
    })
    expect((await fetch(`${exporter.url}/nope`, { method: 'POST', body: '{}' })).status).toBe(404)
    expect(await callbacks()).toEqual(before)
  })

  it.each([
    ['GET', '/im/callback', 'POST'],
    ['PUT', '/im/callback', 'POST'],
    ['DELETE', '/metrics', 'HEAD, GET'],
    ['POST', '/-/healthy', 'HEAD, GET'],
    ['PROPFIND', '/im/callback', 'POST'],
  ])('answers %s %s with 405, Allow: %s, in the FAIL JSON shape', async (method, path, allow) => {
    const answer = await fetch(`${exporter.url}${path}`, { method })
    expect(answer.status).toBe(405)
    expect(answer.headers.get('allow')).toBe(allow)
    const body = (await answer.json()) as { ErrorInfo: string }
    expect(body).toMatchObject({ ActionStatus: 'FAIL', ErrorCode: 405 })
    expect(body.ErrorInfo).toMatch(new RegExp(`^method_not_allowed: ${method} is not allowed on ${path}`))
  })

  it.each([
    ['POST', '/IM/CALLBACK'],
    ['POST', '/im/callback/'],
    ['POST', '/Im/Callback'],
    ['POST', '//im/callback'],
    ['GET', '/METRICS'],
    ['GET', '/metrics/'],
    ['GET', '/Metrics'],
    ['GET', '/-/HEALTHY'],
    ['GET', '/-/ready/'],
  ])(
    'matches paths exactly: %s %s is an unknown path (404), not counted as a callback',
    async (method, path) => {
      const counted = async () => {
        const text = await (await fetch(`${exporter.url}/metrics`)).text()
        return text.split('\n').filter((line) => line.startsWith('tencent_chat_exporter_callbacks_total'))
      }
      const before = await counted()
      const query = new URL(callbackUrl(exporter.url, { path: '/im/callback' })).search
      const answer = await fetch(`${exporter.url}${path}${query}`, {
        method,
        ...(method === 'POST' && { body: alertBody() }),
      })
      expect(answer.status).toBe(404)
      expect(await answer.json()).toEqual({
        ActionStatus: 'FAIL',
        ErrorCode: 404,
        ErrorInfo: `not_found: no route for ${method} ${path}`,
      })
      expect(await counted()).toEqual(before)
    },
  )
})

describe('a CALLBACK_PATH with characters the router would read as a pattern', () => {
  it('is matched literally', async () => {
    const odd = await startExporter({ config: { callbackPath: '/hooks/:app(*)' } })
    try {
      expect((await postCallback(callbackUrl(odd.url, { path: '/hooks/:app(*)' }), alertBody())).status).toBe(
        200,
      )
      for (const path of ['/hooks/x', '/hooks/:app', '/hooks/anything(*)']) {
        expect((await postCallback(callbackUrl(odd.url, { path }), alertBody())).status).toBe(404)
      }
    } finally {
      await odd.close()
    }
  })
})
