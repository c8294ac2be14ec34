import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcrypt'
import { beforeAll, describe, expect, it } from 'vitest'
import { createBasicAuth, parseBasic } from '../../src/web-config/basic-auth.js'
import { readWebConfigFile } from '../../src/web-config/web-config-file.js'
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

  it('answers "busy" past 32 checks waiting (someone guessing passwords), and recovers', async () => {
    const auth = createBasicAuth(new Map([['prometheus', fastHash]]))
    const guesses = await Promise.all(
      Array.from({ length: 40 }, (_, i) => auth.check(basic('prometheus', `guess-${i}`))),
    )
    expect(guesses.filter((result) => result === 'denied')).toHaveLength(32)
    expect(guesses.filter((result) => result === 'busy')).toHaveLength(8)
    expect(await auth.check(basic('prometheus', 'right-password'))).toBe('ok')
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
