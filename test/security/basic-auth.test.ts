import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcrypt'
import { Agent } from 'undici'
import { beforeAll, describe, expect, it } from 'vitest'
import { createBasicAuth, parseBasic } from '../../src/web-config/basic-auth.js'
import { readWebConfigFile } from '../../src/web-config/web-config-file.js'
import { until } from '../hardening/support/server-side.js'
import { alertBody, callbackUrl } from '../helpers/callbacks.js'
import { startExporter } from '../helpers/start-exporter.js'

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

let fastHash: string

beforeAll(async () => {
  fastHash = await bcrypt.hash('right-password', 4)
})

describe('parseBasic', () => {
  it('splits at the first colon: the password may hold colons', () => {
    expect(parseBasic(basic('prometheus', 'a:b:c'))).toEqual({ user: 'prometheus', password: 'a:b:c' })
    expect(parseBasic(`basic ${Buffer.from('u:p').toString('base64')}`)).toEqual({ user: 'u', password: 'p' })
  })

  it.each([
    undefined,
    '',
    'Bearer abc',
    'Basic',
    'Basic !!!',
    `Basic ${Buffer.from('no-colon').toString('base64')}`,
  ])('gives nothing for %o', (header) => {
    expect(parseBasic(header)).toBeUndefined()
  })
})

describe('basic auth against bcrypt hashes', () => {
  it("accepts the right password, for $2b$, $2a$ and htpasswd's $2y$ hashes", async () => {
    for (const prefix of ['$2b$', '$2a$', '$2y$']) {
      const auth = createBasicAuth(new Map([['prometheus', `${prefix}${fastHash.slice(4)}`]]))
      expect(await auth.check(basic('prometheus', 'right-password')), prefix).toBe('ok')
      expect(await auth.check(basic('prometheus', 'wrong-password')), prefix).toBe('denied')
    }
  })

  it('accepts a hash made by htpasswd -B, as the docs tell users to make one', async () => {
    const line = execFileSync('htpasswd', ['-nbBC', '4', 'prometheus', 'htpasswd-password']).toString().trim()
    const [user, htpasswdHash] = line.split(':') as [string, string]
    expect(htpasswdHash).toMatch(/^\$2y\$04\$/)
    const auth = createBasicAuth(new Map([[user, htpasswdHash]]))
    expect(await auth.check(basic('prometheus', 'htpasswd-password'))).toBe('ok')
    expect(await auth.check(basic('prometheus', 'htpasswd-passwore'))).toBe('denied')
  })

  it('denies an unknown user at the cost of a bcrypt check, and missing credentials at once', async () => {
    const auth = createBasicAuth(new Map([['prometheus', fastHash]]))
    expect(await auth.check(basic('grafana', 'right-password'))).toBe('denied')
    expect(auth.verifications()).toBe(1)
    expect(await auth.check(undefined)).toBe('denied')
    expect(auth.verifications()).toBe(1)
  })

  it('runs bcrypt once for a scraper: concurrent checks share it, later ones remember it', async () => {
    const auth = createBasicAuth(new Map([['prometheus', fastHash]]))
    const results = await Promise.all(
      Array.from({ length: 10 }, () => auth.check(basic('prometheus', 'right-password'))),
    )
    expect(results).toEqual(Array(10).fill('ok'))
    expect(await auth.check(basic('prometheus', 'right-password'))).toBe('ok')
    expect(auth.verifications()).toBe(1)
    // A wrong password is never remembered as good.
    expect(await auth.check(basic('prometheus', 'wrong-password'))).toBe('denied')
    expect(await auth.check(basic('prometheus', 'wrong-password'))).toBe('denied')
    expect(auth.verifications()).toBe(3)
  })

  it('answers a client "busy" past 8 checks of its own waiting, and recovers', async () => {
    const auth = createBasicAuth(new Map([['prometheus', fastHash]]))
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => auth.check(basic('prometheus', `guess-${i}`), 'guesser')),
    )
    // One running and 8 waiting were checked; the rest were answered at once.
    expect(guesses.filter((result) => result === 'denied')).toHaveLength(9)
    expect(guesses.filter((result) => result === 'busy')).toHaveLength(31)
    expect(await auth.check(basic('prometheus', 'right-password'), 'guesser')).toBe('ok')
  })

  it('gives a client with the right password its turn while another floods wrong ones', async () => {
    const slowHash = await bcrypt.hash('right-password', 8)
    const auth = createBasicAuth(new Map([['prometheus', slowHash]]))
    let flooding = true
    let guesses = 0
    let busy = 0
    // 64 guessers from one address, each guessing again as soon as it is answered.
    const flood = Promise.all(
      Array.from({ length: 64 }, async (_, g) => {
        while (flooding) {
          const result = await auth.check(basic('prometheus', `guess-${g}-${guesses++}`), '198.51.100.7')
          if (result === 'busy') {
            busy += 1
            await new Promise((resolve) => setImmediate(resolve))
          }
        }
      }),
    )
    await until(() => busy > 0 && auth.verifications() > 4, 'the flood under way')
    const verifiedBefore = auth.verifications()
    // A scraper that has not been checked yet: its first try gets in, the flood still running.
    const result = await auth.check(basic('prometheus', 'right-password'), '10.0.0.9')
    const stillFlooding = flooding
    flooding = false
    await flood
    expect(result).toBe('ok')
    expect(stillFlooding).toBe(true)
    expect(busy).toBeGreaterThan(0)
    // It waited for at most the check in progress and one of the guesser's before its own.
    expect(auth.verifications() - verifiedBefore).toBeGreaterThan(0)
  })
})

describe('an unknown user', () => {
  it("is checked against a configured user's hash, picked by its name: the cost of a real check", async () => {
    const cheap = await bcrypt.hash('alice-password', 4)
    const dear = await bcrypt.hash('bob-password', 6)
    const auth = createBasicAuth(
      new Map([
        ['alice', cheap],
        ['bob', dear],
      ]),
    )
    expect(auth.hashFor('alice')).toBe(cheap)
    expect(auth.hashFor('bob')).toBe(dear)
    const standIns = Array.from({ length: 200 }, (_, i) => auth.hashFor(`nobody-${i}`))
    // Never a hash of another cost than the configured ones, and both costs among the stand-ins.
    expect(new Set(standIns)).toEqual(new Set([cheap, dear]))
    // The same name, the same stand-in: repeating a name tells nothing new.
    expect(auth.hashFor('nobody-1')).toBe(standIns[1])
    // Denied even with the password of the user whose hash stands in.
    const name = standIns.indexOf(cheap)
    expect(await auth.check(basic(`nobody-${name}`, 'alice-password'))).toBe('denied')
    expect(auth.verifications()).toBe(1)
  })
})

describe('a scrape waiting for bcrypt', () => {
  it('does not hold callbacks: bcrypt runs off the event loop', async () => {
    // Cost 14: a check takes around a second, long enough to see whether callbacks wait behind it.
    const slowHash = await bcrypt.hash('right-password', 14)
    const dir = mkdtempSync(join(tmpdir(), 'tce-bcrypt-'))
    writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  prometheus: ${slowHash}\n`)
    const exporter = await startExporter({ config: { webConfig: readWebConfigFile(join(dir, 'web.yml')) } })
    try {
      const order: string[] = []
      const scrape = fetch(`${exporter.url}/metrics`, {
        headers: { authorization: basic('prometheus', 'right-password') },
      }).then((response) => {
        order.push(`scrape ${response.status}`)
      })
      // Once the scrape's check is under way, callbacks keep being answered one after another.
      await new Promise((resolve) => setTimeout(resolve, 50))
      for (let i = 0; i < 5; i++) {
        const response = await fetch(callbackUrl(exporter.url), {
          method: 'POST',
          body: alertBody(),
        })
        order.push(`callback ${response.status}`)
      }
      await scrape
      expect(order).toEqual([...Array(5).fill('callback 200'), 'scrape 200'])
    } finally {
      await exporter.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('a wrong-password flood on the real listener', () => {
  it('keeps no other address out: a scraper from another address gets in on its first try', async () => {
    const hash = await bcrypt.hash('right-password', 8)
    const dir = mkdtempSync(join(tmpdir(), 'tce-flood-'))
    writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  prometheus: ${hash}\n`)
    const exporter = await startExporter({
      config: { webConfig: readWebConfigFile(join(dir, 'web.yml')), logLevel: 'error' },
    })
    // The scraper's connection comes from another loopback address than the flood's.
    const elsewhere = new Agent({ localAddress: '127.0.0.2' })
    const statuses = new Map<number, number>()
    let flooding = true
    try {
      const flood = Promise.all(
        Array.from({ length: 64 }, async (_, g) => {
          for (let i = 0; flooding; i += 1) {
            const answer = await fetch(`${exporter.url}/metrics`, {
              headers: { authorization: basic('prometheus', `guess-${g}-${i}`) },
            })
            await answer.arrayBuffer()
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
          }
        }),
      )
      await until(() => (statuses.get(429) ?? 0) > 0 && (statuses.get(401) ?? 0) > 4, 'the flood under way')
      const scrape = await fetch(`${exporter.url}/metrics`, {
        headers: { authorization: basic('prometheus', 'right-password') },
        // @ts-expect-error undici's dispatcher option, not in the DOM fetch types
        dispatcher: elsewhere,
      })
      const stillFlooding = flooding
      flooding = false
      await flood
      expect(scrape.status).toBe(200)
      expect(await scrape.text()).toContain('tencent_chat_exporter_build_info')
      expect(stillFlooding).toBe(true)
    } finally {
      flooding = false
      await elsewhere.close()
      await exporter.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
