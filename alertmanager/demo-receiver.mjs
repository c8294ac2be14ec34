// The docker-compose demo's stand-in for every notification endpoint of alertmanager.demo.yml:
// it prints each page, webhook and WeCom message Alertmanager sends, one line each, and answers the
// way those endpoints do (WeCom: an access token from gettoken, errcode 0 from message/send).
// Plain Node.js with no dependencies: node alertmanager/demo-receiver.mjs [port]
import { createServer } from 'node:http'

const port = Number(process.argv[2] ?? process.env.PORT ?? 8080)

function summarise(body) {
  try {
    const payload = JSON.parse(body)
    // Alertmanager's webhook payload.
    if (Array.isArray(payload.alerts)) {
      return payload.alerts
        .map((alert) => `${alert.status} ${alert.labels.alertname} ${alert.annotations.description ?? ''}`)
        .join('\n  ')
    }
    // A WeCom app message.
    if (payload.text?.content) return payload.text.content.trim().replaceAll('\n', '\n  ')
  } catch {}
  return body
}

const server = createServer((request, response) => {
  let body = ''
  request.setEncoding('utf8')
  request.on('data', (chunk) => {
    body += chunk
  })
  request.on('end', () => {
    const path = (request.url ?? '').split('?')[0]
    if (!path.endsWith('/gettoken')) process.stdout.write(`${path}\n  ${summarise(body)}\n`)
    response.writeHead(200, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ errcode: 0, errmsg: 'ok', access_token: 'demo', expires_in: 7200 }))
  })
})

server.listen(port, () => process.stdout.write(`demo-receiver: listening on ${server.address().port}\n`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
