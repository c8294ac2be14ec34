import { once } from 'node:events'
import { createServer, type Server } from 'node:http'

export interface ReceivedRequest {
  method: string
  path: string
  body: string
}

export interface WebhookReceiver {
  url: string
  requests: ReceivedRequest[]
  close(): Promise<void>
}

/**
 * Stands in for every notification endpoint of the example Alertmanager configuration: generic
 * webhooks and WeCom's API alike. The answer satisfies both (WeCom wants an access token from
 * `gettoken` and `errcode: 0` from `message/send`; webhooks want a 2xx).
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      requests.push({
        method: request.method ?? '',
        path: request.url ?? '',
        body: Buffer.concat(chunks).toString('utf8'),
      })
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: 'e2e-token', expires_in: 7200 }))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    },
  }
}
