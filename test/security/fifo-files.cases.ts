import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue, TOKEN } from '../helpers/callbacks.js'
import { type BuiltEntryPoint, runUntilExit, spawnExporter } from '../startup/exporter-process.js'
import { fingerprintOf } from './support/certificates.js'
import { makePki, type Pki } from './support/pki.js'
import { tlsRequest } from './support/tls-client.js'

/**
 * Files that block: a FIFO where the token file, the web configuration or a certificate belongs. Opened
 * for reading, a FIFO waits for a writer for ever; the exporter must refuse it at once, keep running
 * and say so, and still stop on SIGTERM. On the real entry point: a frozen or hung exporter fails these
 * tests by a bounded wait instead of hanging the test process.
 */
export function fifoFileTests(entryPoint: () => BuiltEntryPoint): void {
  describe('a FIFO where a file belongs', () => {
    let pki: Pki
    let dir: string
    beforeAll(() => {
      pki = makePki()
      dir = join(pki.dir, 'fifos')
      mkdirSync(dir)
    })
    afterAll(() => pki?.remove())

    const fifo = (name: string) => {
      const path = join(dir, name)
      rmSync(path, { force: true })
      execFileSync('mkfifo', [path])
      return path
    }

    it.each([
      ['CALLBACK_TOKEN_FILE', (path: string) => ({ CALLBACK_TOKEN_FILE: path })],
      ['WEB_CONFIG_FILE', (path: string) => ({ WEB_CONFIG_FILE: path })],
    ])('as %s stops start-up at once, naming the variable', async (variable, env) => {
      const result = await runUntilExit(['node', entryPoint().main], {
        env: env(fifo(`${variable}.fifo`)),
        timeoutMs: 20_000,
      })
      expect(result.signal).toBeNull()
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`${variable}`)
      expect(result.stderr).toContain('not a regular file: a FIFO')
    })

    it('as the TLS certificate stops start-up at once, naming the key', async () => {
      const web = join(dir, 'web.yml')
      writeFileSync(
        web,
        `tls_server_config:\n  cert_file: ${fifo('tls.crt')}\n  key_file: ${pki.server.key}\n`,
      )
      const result = await runUntilExit(['node', entryPoint().main], {
        env: { WEB_CONFIG_FILE: web },
        timeoutMs: 20_000,
      })
      expect(result.code).toBe(1)
      expect(result.stderr).toMatch(
        /WEB_CONFIG_FILE .*tls_server_config\.cert_file: cannot read ".*" \(not a regular file: a FIFO\)/,
      )
    })

    it('swapped in for the token file: the reload fails and is counted, the tokens stay, SIGTERM stops it', async () => {
      const tokenFile = join(dir, 'token')
      writeFileSync(tokenFile, `${TOKEN}\n`)
      const exporter = spawnExporter(['node', entryPoint().main], {
        env: { CALLBACK_TOKEN_FILE: tokenFile, SDKAPPIDS: SDKAPPID, LOG_LEVEL: 'info' },
      })
      try {
        const port = await exporter.listening()
        const base = `http://127.0.0.1:${port}`
        // Renamed over the token file in one step, as an editor or kubelet swaps a file: the watcher must
        // never see the path missing in between.
        renameSync(fifo('token.new'), tokenFile)
        const failure = await exporter.waitForLog(
          (line) =>
            line.level === 'error' &&
            String(line.msg).startsWith('CALLBACK_TOKEN_FILE changed but cannot be used'),
        )
        expect(failure.problem).toContain('not a regular file: a FIFO')
        const metrics = await (await fetch(`${base}/metrics`)).text()
        expect(sampleValue(metrics, 'tencent_chat_exporter_token_file_reload_failures_total')).toBe(1)
        expect(sampleValue(metrics, 'tencent_chat_exporter_token_file_last_reload_successful')).toBe(0)
        // The token in force still signs.
        expect((await postCallback(callbackUrl(base, { token: TOKEN }), alertBody())).status).toBe(200)
        // Another look at the file (the periodic read) changes nothing and blocks nothing.
        await sleep(6_000)
        const again = await (await fetch(`${base}/metrics`)).text()
        expect(sampleValue(again, 'tencent_chat_exporter_token_file_reload_failures_total')).toBe(1)
        exporter.child.kill('SIGTERM')
        const exit = await Promise.race([exporter.exited, sleep(20_000).then(() => 'still running' as const)])
        expect(exit).toEqual({ code: 0, signal: null })
      } finally {
        await exporter.kill()
      }
    }, 60_000)

    it('swapped in for the TLS certificate: the previous one is still served and callbacks answered', async () => {
      const tlsDir = join(dir, 'tls')
      mkdirSync(tlsDir, { recursive: true })
      copyFileSync(pki.server.cert, join(tlsDir, 'tls.crt'))
      copyFileSync(pki.server.key, join(tlsDir, 'tls.key'))
      writeFileSync(
        join(tlsDir, 'web.yml'),
        'tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n',
      )
      const exporter = spawnExporter(['node', entryPoint().main], {
        env: { WEB_CONFIG_FILE: join(tlsDir, 'web.yml'), METRICS_PORT: '0', LOG_LEVEL: 'info' },
      })
      try {
        const port = await exporter.listening()
        const metricsPort = (await exporter.waitForLog((l) => l.msg === 'tencent-chat-exporter listening'))
          .metrics_port
        const metricsUrl = `https://127.0.0.1:${metricsPort}`
        execFileSync('mkfifo', [join(tlsDir, 'tls.crt.new')])
        renameSync(join(tlsDir, 'tls.crt.new'), join(tlsDir, 'tls.crt'))
        // Connections have the files looked at; the look finds the FIFO and keeps the certificate.
        const error = (async () => {
          for (;;) {
            const answer = await tlsRequest(`${metricsUrl}/-/healthy`, { ca: pki.ca.cert })
            expect(answer.serverFingerprint).toBe(fingerprintOf(pki.server.cert))
            const logged = exporter.logs().find((line) => line.level === 'error')
            if (logged) return logged
            await sleep(50)
          }
        })()
        const logged = await Promise.race([error, sleep(20_000).then(() => undefined)])
        expect(logged?.problem).toContain('not a regular file: a FIFO')
        // The event loop is not frozen: callbacks and TLS requests are still answered.
        expect((await postCallback(callbackUrl(`http://127.0.0.1:${port}`), alertBody())).status).toBe(200)
        const after = await tlsRequest(`${metricsUrl}/-/ready`, { ca: pki.ca.cert })
        expect(after.status).toBe(200)
        expect(after.serverFingerprint).toBe(fingerprintOf(pki.server.cert))
      } finally {
        await exporter.kill()
      }
    }, 60_000)
  })
}
