import { once } from 'node:events'
import { createServer } from 'node:net'

/**
 * A loopback port that was free a moment ago, for programs that can't be told to pick their own
 * (Prometheus, Alertmanager, benchmark servers); the caller hands it to a child that binds it at once.
 */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}
