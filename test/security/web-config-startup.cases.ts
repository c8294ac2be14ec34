import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import bcrypt from 'bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type BuiltEntryPoint, runUntilExit, spawnExporter } from '../startup/exporter-process.js'
import { makePki, type Pki } from './support/pki.js'
import { curl } from './support/tls-client.js'

/** WEB_CONFIG_FILE on the real entry point: a bad file stops start-up; a good one serves TLS. */
export function webConfigStartupTests(entryPoint: () => BuiltEntryPoint): void {
  describe('WEB_CONFIG_FILE at start-up', () => {
    let pki: Pki
    let hash: string
    beforeAll(async () => {
      pki = makePki()
      hash = await bcrypt.hash('pw', 4)
    })
    afterAll(() => pki?.remove())

    const file = (name: string, yaml: string) => {
      writeFileSync(join(pki.dir, name), yaml)
      return join(pki.dir, name)
    }

    it.each([
      ['a YAML error', 'tls_server_config: [\n', 'not valid YAML at line'],
      ['an unknown key', 'basic_auth_user:\n  a: b\n', 'top level: unknown key "basic_auth_user"'],
      [
        'a missing certificate',
        'tls_server_config:\n  cert_file: gone.crt\n  key_file: server.key\n',
        'tls_server_config.cert_file: cannot read',
      ],
      [
        'a plain-text password',
        'basic_auth_users:\n  prometheus: plain-secret-XYZ\n',
        'basic_auth_users.prometheus: must be a bcrypt hash',
      ],
      [
        'a header value with CR and LF',
        'http_server_config:\n  headers:\n    Content-Security-Policy: "a\\r\\nb"\n',
        'http_server_config.headers.Content-Security-Policy: a header value must be Latin-1 without control characters',
      ],
      [
        'a YAML alias bomb',
        `x0: &a ["l","l","l","l","l","l","l","l","l"]\n${Array.from(
          { length: 8 },
          (_, i) =>
            `x${i + 1}: &a${i + 1} [${Array(9)
              .fill(i === 0 ? '*a' : `*a${i}`)
              .join(',')}]`,
        ).join('\n')}\n`,
        'not usable YAML: Excessive alias count',
      ],
    ])('exits 1 on %s, naming WEB_CONFIG_FILE and the key', async (_, yaml, says) => {
      const result = await runUntilExit(['node', entryPoint().main], {
        env: { WEB_CONFIG_FILE: file('bad.yml', yaml) },
      })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(/\bWEB_CONFIG_FILE\b/)
      expect(result.stderr).toContain(says)
      expect(result.stderr + result.stdout).not.toContain('plain-secret-XYZ')
      expect(result.stdout).not.toContain('listening')
    })

    it('starts with an empty file, everything open as in exporter-toolkit, and warns', async () => {
      for (const nothing of ['', 'null\n']) {
        const exporter = spawnExporter(['node', entryPoint().main], {
          env: { WEB_CONFIG_FILE: file('empty.yml', nothing) },
        })
        try {
          const port = await exporter.listening()
          const warning = await exporter.waitForLog((line) =>
            String(line.msg).startsWith('WEB_CONFIG_FILE is empty'),
          )
          expect(warning.level).toBe('warn')
          expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200)
        } finally {
          await exporter.kill()
        }
      }
    })

    it('serves the one listener over TLS without METRICS_PORT, and logs what is on', async () => {
      const exporter = spawnExporter(['node', entryPoint().main], {
        env: {
          WEB_CONFIG_FILE: file(
            'good.yml',
            `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: ${hash}\n`,
          ),
        },
      })
      try {
        const port = await exporter.listening()
        const line = exporter.logs().find((log) => log.msg === 'tencent-chat-exporter listening')
        expect(line?.web_config).toMatchObject({ listener: 'callback', tls: true, basic_auth_users: 1 })
        expect(JSON.stringify(line)).not.toContain(hash)
        expect(await curl(`https://127.0.0.1:${port}/-/ready`, { ca: pki.ca.cert })).toMatchObject({
          status: 200,
        })
        expect(await curl(`https://127.0.0.1:${port}/metrics`, { ca: pki.ca.cert })).toMatchObject({
          status: 401,
        })
        expect(
          await curl(`https://127.0.0.1:${port}/metrics`, { ca: pki.ca.cert, auth: 'prometheus:pw' }),
        ).toMatchObject({ status: 200 })
        // Plain HTTP to the TLS port gets no answer from the exporter.
        await expect(fetch(`http://127.0.0.1:${port}/-/ready`)).rejects.toThrow()
      } finally {
        await exporter.kill()
      }
    })
  })
}
