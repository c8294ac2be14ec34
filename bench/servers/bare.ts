import { createServer } from 'node:http'

/**
 * The ceiling: node:http alone, reading the body, parsing it as JSON and answering Chat's OK body.
 * Nothing a callback receiver could leave out. Listens on 127.0.0.1:$PORT.
 */
const OK_ANSWER = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'

const server = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (chunk: Buffer) => chunks.push(chunk))
  req.on('end', () => {
    if (req.method === 'POST') {
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        res.writeHead(400).end()
        return
      }
    }
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(OK_ANSWER),
    })
    res.end(OK_ANSWER)
  })
})
server.keepAliveTimeout = 65_000
server.listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
