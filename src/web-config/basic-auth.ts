import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { normaliseBcryptHash } from './bcrypt-hash.js'

export type BasicAuthResult = 'ok' | 'denied' | 'busy'

/** Verifications that passed, remembered so that Prometheus's scrapes never wait for bcrypt again. */
const MAX_REMEMBERED = 64
/** Checks one client may have waiting; more means it is guessing passwords: answer it "busy". */
const MAX_WAITING_PER_CLIENT = 8
/** Checks waiting from all clients together, a bound on the memory a crowd of guessers can take. */
const MAX_WAITING = 256

interface Waiting {
  password: string
  hash: string
  settle: (ok: boolean) => void
}

/**
 * Checks `Authorization: Basic` credentials against bcrypt hashes. bcrypt is slow on purpose (tens of
 * milliseconds at cost 10), so it runs on libuv's thread pool, never on the event loop that answers
 * callbacks, and one check at a time, so that a password guesser can't take every pool thread.
 *
 * - A success is remembered (keyed by a SHA-256 of user, password and hash), so that a scraper with the
 *   right password pays for bcrypt once; identical checks in flight share one verification.
 * - Waiting checks are served a client at a time in turn (round robin by remote address), so that a
 *   flood of guesses from one client delays another client's check by one verification per guessing
 *   client, not by the whole flood; past MAX_WAITING_PER_CLIENT checks of its own, a client is answered
 *   "busy" (429) at once.
 * - An unknown user is checked against one of the configured hashes, picked by the user name: it costs
 *   what a configured user's check costs, whatever their bcrypt costs, so timing does not tell which
 *   user names exist.
 */
export function createBasicAuth(users: ReadonlyMap<string, string>) {
  // The native bcrypt module is loaded only when basic auth is configured, and then at start-up.
  const bcrypt = createRequire(import.meta.url)('bcrypt') as typeof import('bcrypt')
  const hashes = [...users.values()]
  const remembered = new Set<string>()
  const inFlight = new Map<string, Promise<boolean>>()
  /** Per client, its checks in arrival order; the Map's order is the turn order. */
  const queues = new Map<string, Waiting[]>()
  let waiting = 0
  let running = false
  let verifications = 0

  /** The hash an unknown user's password is compared with: a configured one, the same for a name. */
  const standIn = (user: string) => {
    const digest = createHash('sha256').update(user).digest()
    return hashes[digest.readUInt32BE(0) % hashes.length] as string
  }

  /** Runs the next client's next check, then the one after, until none waits. */
  const runNext = () => {
    const next = queues.entries().next()
    if (next.done) {
      running = false
      return
    }
    running = true
    const [client, list] = next.value
    const job = list.shift() as Waiting
    // The client goes to the back of the turn order, or leaves it when it has nothing more waiting.
    queues.delete(client)
    if (list.length > 0) queues.set(client, list)
    waiting -= 1
    verifications += 1
    bcrypt
      .compare(job.password, normaliseBcryptHash(job.hash))
      .catch(() => false)
      .then((ok) => {
        job.settle(ok)
        runNext()
      })
  }

  const verify = (client: string, password: string, hash: string): Promise<boolean> | undefined => {
    const list = queues.get(client)
    if ((list?.length ?? 0) >= MAX_WAITING_PER_CLIENT || waiting >= MAX_WAITING) return undefined
    return new Promise<boolean>((settle) => {
      const job = { password, hash, settle }
      if (list) list.push(job)
      else queues.set(client, [job])
      waiting += 1
      if (!running) runNext()
    })
  }

  return {
    /** How many bcrypt verifications ran: what the remembering and the coalescing save. */
    verifications: () => verifications,
    /** The hash a check for `user` compares with: the user's own, or a configured user's (unknown users). */
    hashFor: (user: string) => users.get(user) ?? standIn(user),
    /** `client` (the remote address) decides whose turn a waiting check takes. */
    async check(authorization: string | undefined, client = ''): Promise<BasicAuthResult> {
      const credentials = parseBasic(authorization)
      if (credentials === undefined || hashes.length === 0) return 'denied'
      const { user, password } = credentials
      const hash = users.get(user)
      const key = createHash('sha256')
        .update(`${user}\0${password}\0${hash ?? ''}`)
        .digest('hex')
      if (hash !== undefined && remembered.has(key)) return 'ok'
      let pending = inFlight.get(key)
      if (pending === undefined) {
        const verified = verify(client, password, hash ?? standIn(user))
        if (verified === undefined) return 'busy'
        // An unknown user never gets in, even with the password of the user whose hash stood in.
        pending = verified.then((ok) => ok && hash !== undefined)
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
