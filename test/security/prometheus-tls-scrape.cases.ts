import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { startTool, type Tool, waitFor, waitReady } from '../e2e/support/processes.js'
import { promQuery } from '../e2e/support/stack.js'
import { alertBody, callbackUrl, SDKAPPID } from '../helpers/callbacks.js'
import { freePort } from '../helpers/free-port.js'
import { findTool } from '../helpers/tools.js'
import { type BuiltEntryPoint, type ExporterProcess, spawnExporter } from '../startup/exporter-process.js'
import { makePki, type Pki } from './support/pki.js'

// The real Prometheus 3 scrapes the real exporter's metrics listener over TLS, with a client
// certificate and basic auth from its own scrape configuration; a job with a wrong password is refused.

const PASSWORD = 'prometheus-scrape-password'
const TOKEN = 'prometheus-e2e-token'

export function prometheusTlsScrapeTests(entryPoint: () => BuiltEntryPoint): void {
  describe('WEB_CONFIG_FILE with the real Prometheus', () => {
    let pki: Pki
    let exporter: ExporterProcess
    let prometheus: Tool
    let prometheusUrl: string
    let dir: string

    beforeAll(async () => {
      pki = makePki()
      dir = mkdtempSync(join(tmpdir(), 'tce-prom-tls-'))
      writeFileSync(
        join(pki.dir, 'web-config.yml'),
        stringify({
          tls_server_config: {
            cert_file: 'server.crt',
            key_file: 'server.key',
            client_auth_type: 'RequireAndVerifyClientCert',
            client_ca_file: 'ca.crt',
          },
          basic_auth_users: { prometheus: await bcrypt.hash(PASSWORD, 10) },
        }),
      )
      const metricsPort = await freePort()
      exporter = spawnExporter(['node', entryPoint().main], {
        env: {
          WEB_CONFIG_FILE: join(pki.dir, 'web-config.yml'),
          METRICS_PORT: String(metricsPort),
          CALLBACK_TOKEN: TOKEN,
          SDKAPPIDS: SDKAPPID,
        },
      })
      const callbackPort = await exporter.listening()
      // One alarm, so that Prometheus has a tencent_chat_api_* series to show.
      const answer = await fetch(callbackUrl(`http://127.0.0.1:${callbackPort}`, { token: TOKEN }), {
        method: 'POST',
        body: alertBody(),
      })
      expect(answer.status).toBe(200)

      writeFileSync(join(dir, 'password'), `${PASSWORD}\n`)
      writeFileSync(join(dir, 'wrong-password'), 'not-the-password\n')
      const job = (name: string, passwordFile: string) => ({
        job_name: name,
        scheme: 'https',
        scrape_interval: '1s',
        tls_config: { ca_file: pki.ca.cert, cert_file: pki.client.cert, key_file: pki.client.key },
        basic_auth: { username: 'prometheus', password_file: passwordFile },
        static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }],
      })
      writeFileSync(
        join(dir, 'prometheus.yml'),
        stringify({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          scrape_configs: [
            job('tencent-chat-exporter', join(dir, 'password')),
            job('wrong-password', join(dir, 'wrong-password')),
          ],
        }),
      )
      const port = await freePort()
      prometheus = startTool('prometheus', findTool('prometheus'), [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ])
      prometheusUrl = `http://127.0.0.1:${port}`
      await waitReady(prometheus, `${prometheusUrl}/-/ready`)
    }, 120_000)

    afterAll(async () => {
      await prometheus?.stop()
      await exporter?.kill()
      pki?.remove()
      if (dir) rmSync(dir, { recursive: true, force: true })
    })

    const value = async (expr: string) => {
      const result = await promQuery(prometheusUrl, expr)
      return result.data?.result[0]?.value as [number, string] | undefined
    }

    describe('Prometheus 3 scraping over TLS with basic auth', () => {
      it('scrapes the exporter with its CA, client certificate and password', async () => {
        await waitFor(
          'a successful scrape',
          async () => ((await value('up{job="tencent-chat-exporter"} == 1')) ? true : undefined),
          30_000,
        )
        const qps = await value(
          `tencent_chat_api_requests_per_second{job="tencent-chat-exporter",sdkappid="${SDKAPPID}"}`,
        )
        expect(qps?.[1]).toBe('510')
      })

      it('is refused with the wrong password: 401, and up is 0', async () => {
        const target = await waitFor(
          'the wrong-password target to report its error',
          async () => {
            const response = await fetch(`${prometheusUrl}/api/v1/targets?state=active`)
            const body = (await response.json()) as {
              data: {
                activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }>
              }
            }
            const found = body.data.activeTargets.find((t) => t.labels.job === 'wrong-password')
            return found && found.health === 'down' ? found : undefined
          },
          30_000,
        )
        expect(target.lastError).toMatch(/401/)
        expect((await value('up{job="wrong-password"}'))?.[1]).toBe('0')
      })
    })
  })
}
