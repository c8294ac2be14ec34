import { chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import bcrypt from 'bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SDKAPPID } from '../helpers/callbacks.js'
import { makePki, type Pki } from '../security/support/pki.js'
import { tlsRequest } from '../security/support/tls-client.js'
import { type Container, containersOfThisFile } from './container.js'
import { requireImage } from './podman.js'

// WEB_CONFIG_FILE putting TLS and basic auth on the image's only listener: the configuration, the
// certificate and its key mounted from one folder, as from a Secret.

const WEB_DIR = '/etc/tencent-chat-exporter/web'
const containers = containersOfThisFile()
let pki: Pki
let web: string
let exporter: Container

beforeAll(async () => {
  await requireImage()
  pki = makePki()
  web = await mkdtemp(join(tmpdir(), 'tce-image-web-'))
  await chmod(web, 0o755)
  await copyFile(pki.server.cert, join(web, 'tls.crt'))
  await copyFile(pki.server.key, join(web, 'tls.key'))
  // Secret volumes give files mode 0444 by default in the chart: the image's user reads them so.
  for (const file of ['tls.crt', 'tls.key']) await chmod(join(web, file), 0o444)
  const hash = await bcrypt.hash('image-password', 4)
  await writeFile(
    join(web, 'web-config.yml'),
    `tls_server_config:\n  cert_file: ${WEB_DIR}/tls.crt\n  key_file: ${WEB_DIR}/tls.key\n` +
      `basic_auth_users:\n  prometheus: ${JSON.stringify(hash)}\n`,
    { mode: 0o444 },
  )
  exporter = await containers.start({
    env: { SDKAPPIDS: SDKAPPID, WEB_CONFIG_FILE: `${WEB_DIR}/web-config.yml` },
    mounts: [{ source: web, target: WEB_DIR }],
  })
}, 120_000)

afterAll(async () => {
  pki?.remove()
  if (web) await rm(web, { recursive: true, force: true })
})

describe('the image with TLS and basic auth from WEB_CONFIG_FILE', () => {
  it('serves /metrics over HTTPS to the basic-auth user only (bcrypt runs in the image)', async () => {
    const url = exporter.url('/metrics', { scheme: 'https' })
    expect((await tlsRequest(url, { ca: pki.ca.cert })).status).toBe(401)
    expect((await tlsRequest(url, { ca: pki.ca.cert, auth: 'prometheus:wrong-password' })).status).toBe(401)
    const scrape = await tlsRequest(url, { ca: pki.ca.cert, auth: 'prometheus:image-password' })
    expect(scrape.status).toBe(200)
    expect(scrape.body).toContain('tencent_chat_exporter_build_info')
  })

  it('answers the probes over HTTPS without credentials, and refuses plain HTTP', async () => {
    for (const path of ['/-/healthy', '/-/ready'])
      expect((await tlsRequest(exporter.url(path, { scheme: 'https' }), { ca: pki.ca.cert })).status).toBe(
        200,
      )
    await expect(fetch(exporter.url('/-/healthy'))).rejects.toThrow()
  })

  it('passes its HEALTHCHECK, which asks over HTTPS', async () => {
    expect(await exporter.checkHealth()).toEqual({ code: 0, output: '', status: 'healthy' })
  })
})
