import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'

/**
 * A fast stand-in for Chat's REST endpoint: node:https with the key and certificate in TLS_KEY_FILE and
 * TLS_CERT_FILE (signed by the benchmark's own CA), reading each call's body and answering Chat's OK
 * JSON. It checks nothing (the tests' fake Chat checks UserSigs and limits), so that what a path costs
 * beyond it is the path's. Answers `GET /-/ready`. Listens on 127.0.0.1:$PORT.
 */
const OK_ANSWER = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}'
const headers = {
  'Content-Type': 'application/json',
  'Content-Length': Buffer.byteLength(OK_ANSWER),
}

const server = createServer(
  {
    key: readFileSync(process.env.TLS_KEY_FILE as string),
    cert: readFileSync(process.env.TLS_CERT_FILE as string),
  },
  (req, res) => {
    if (req.method === 'GET' && req.url === '/-/ready') {
      res.end('ok')
      return
    }
    req.resume()
    req.on('end', () => {
      res.writeHead(200, headers)
      res.end(OK_ANSWER)
    })
  },
)
// Idle connections stay open for the whole run (10 minutes), so that no round pays for the TLS
// handshakes of connections that fell idle while the other paths had their rounds.
server.keepAliveTimeout = 600_000
server.listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => process.exit(0))
