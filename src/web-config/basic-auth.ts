import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { normaliseBcryptHash } from './bcrypt-hash.js'

export type BasicAuthResult = 'ok' | 'denied' | 'busy'

/** Verifications that passed, remembered so that Prometheus's scrapes never wait for bcrypt again. */
const MAX_REMEMBERED = 64
/** Verifications waiting their turn; more means someone is guessing passwords: answer "busy". */
const MAX_WAITING = 32

/**
 * A bcrypt hash of nothing anybody sends, checked for unknown users so that an unknown user costs as
 * much as a wrong password and timing does not tell which user names exist. Cost 10, as htpasswd's
 * and Prometheus's docs suggest.
 */
const UNKNOWN_USER_HASH = '$2b$10$Iph1hcI9FCvw23BKm8TxBOWna1JeAPBTqwf9J7sfWN5OJ8CGIrZkm'

/**
 * Checks `Authorization: Basic` credentials against bcrypt hashes. bcrypt is slow on purpose (tens of
 * milliseconds at cost 10), so it runs on libuv's thread pool, never on the event loop that answers
 * callbacks; one check at a time, so that a password guesser can't take every pool thread; and a
 * success is remembered (keyed by a SHA-256 of user, password and hash), so that a scraper with the
 * right password pays for bcrypt once.
 */
export function createBasicAuth(users: ReadonlyMap<string, string>) {
  // The native bcrypt module is loaded only when basic auth is configured, and then at start-up.
  const bcrypt = createRequire(import.meta.url)('bcrypt') as typeof import('bcrypt')
  const remembered = new Set<string>()
  const inFlight = new Map<string, Promise<boolean>>()
  let queue: Promise<unknown> = Promise.resolve()
  let waiting = 0
  let verifications = 0

  const verify = (password: string, hash: string): Promise<boolean> => {
    waiting += 1
    verifications += 1
    const result = queue.then(() => bcrypt.compare(password, normaliseBcryptHash(hash)))
    queue = result
      .catch(() => false)
      .finally(() => {
        waiting -= 1
      })
    return result.catch(() => false)
  }

  return {
    /** How many bcrypt verifications ran: what the remembering and the coalescing save. */
    verifications: () => verifications,
    async check(authorization: string | undefined): Promise<BasicAuthResult> {
      const credentials = parseBasic(authorization)
      if (credentials === undefined) return 'denied'
      const { user, password } = credentials
      const hash = users.get(user)
      const key = createHash('sha256')
        .update(`${user}\0${password}\0${hash ?? ''}`)
        .digest('hex')
      if (hash !== undefined && remembered.has(key)) return 'ok'
      let pending = inFlight.get(key)
      if (pending === undefined) {
        if (waiting >= MAX_WAITING) return 'busy'
        pending = verify(password, hash ?? UNKNOWN_USER_HASH).then((ok) => ok && hash !== undefined)
        inFlight.set(key, pending)
        void pending.finally(() => inFlight.delete(key))
      }
      const ok = await pending
      if (!ok) return 'denied'
      if (remembered.size >= MAX_REMEMBERED) {
        const oldest = remembered.values().next().value
        if (oldest !== undefined) remembered.delete(oldest)
      }
      remembered.add(key)
      return 'ok'
    },
  }
}

/** `Basic base64(user:password)`; the password may contain ":", the user may not (RFC 7617). */
export function parseBasic(
  authorization: string | undefined,
): { user: string; password: string } | undefined {
  const match = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(authorization ?? '')
  if (!match) return undefined
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}
