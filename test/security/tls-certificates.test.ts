import { copyFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, type TLSSocket } from 'node:tls'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readWebConfigFile } from '../../src/web-config/web-config-file.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { fingerprintOf, makeLeaf, serverSans } from './support/certificates.js'
import { makePki, type Pki } from './support/pki.js'
import { secretVolume } from './support/secret-volume.js'
import { tlsRequest } from './support/tls-client.js'

// Certificate rotation without a restart (cert-manager renewing a Secret), and the TLS protocol keys.

let pki: Pki
const running: TestExporter[] = []
const cleanups: Array<() => void> = []

beforeAll(() => {
  pki = makePki()
})

afterEach(async () => {
  await Promise.all(running.splice(0).map((exporter) => exporter.close()))
  for (const cleanup of cleanups.splice(0)) cleanup()
})

afterAll(() => pki?.remove())

async function start(webConfigPath: string) {
  const exporter = await startExporter({ config: { webConfig: readWebConfigFile(webConfigPath) } })
  running.push(exporter)
  return exporter
}

const newServerCertificate = (name: string) =>
  makeLeaf(join(pki.dir, name), 'server', pki.ca, { usage: 'serverAuth', sans: serverSans })

const served = async (exporter: TestExporter) =>
  (await tlsRequest(`${exporter.url}/-/healthy`, { ca: pki.ca.cert })).serverFingerprint

/**
 * Connects until the exporter serves `fingerprint` or `done` holds: each new connection has the files
 * looked at, off the event loop, and a change is served from the connections after that look.
 */
async function servedOnceChecked(
  exporter: TestExporter,
  done: (fingerprint: string) => boolean,
): Promise<string> {
  for (let attempt = 0; ; attempt += 1) {
    const fingerprint = await served(exporter)
    if (done(fingerprint) || attempt >= 200) return fingerprint
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('certificate rotation', () => {
  it("serves a renewed certificate to the next connections after a Secret volume's ..data swap", async () => {
    const first = newServerCertificate('first')
    const second = newServerCertificate('second')
    const third = newServerCertificate('third')
    const webConfig = 'tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n'
    const volume = secretVolume({
      'web-config.yml': webConfig,
      'tls.crt': readFileSync(first.cert, 'utf8'),
      'tls.key': readFileSync(first.key, 'utf8'),
    })
    cleanups.push(volume.remove)
    const exporter = await start(volume.path('web-config.yml'))
    expect(await served(exporter)).toBe(fingerprintOf(first.cert))

    volume.update({
      'web-config.yml': webConfig,
      'tls.crt': readFileSync(second.cert, 'utf8'),
      'tls.key': readFileSync(second.key, 'utf8'),
    })
    const renewed = fingerprintOf(second.cert)
    expect(await servedOnceChecked(exporter, (f) => f === renewed)).toBe(renewed)
    expect(
      exporter.logs.find((log) => log.msg?.toString().startsWith('TLS certificate files changed: serving')),
    ).toMatchObject({
      sha256_fingerprint: fingerprintOf(second.cert),
    })

    // A renewal caught half-way (new certificate, old key) keeps the working pair and says so.
    volume.update({
      'web-config.yml': webConfig,
      'tls.crt': readFileSync(third.cert, 'utf8'),
      'tls.key': readFileSync(second.key, 'utf8'),
    })
    const halfWay = () => exporter.logs.some((log) => log.level === 'error')
    expect(await servedOnceChecked(exporter, halfWay)).toBe(renewed)
    expect(await served(exporter)).toBe(renewed)
    const error = exporter.logs.find((log) => log.level === 'error')
    expect(error?.problem).toMatch(/tls_server_config\.key_file: the private key does not belong/)
    expect(JSON.stringify(exporter.logs)).not.toContain(readFileSync(second.key, 'utf8').split('\n')[1])

    volume.update({
      'web-config.yml': webConfig,
      'tls.crt': readFileSync(third.cert, 'utf8'),
      'tls.key': readFileSync(third.key, 'utf8'),
    })
    const thirdServed = fingerprintOf(third.cert)
    expect(await servedOnceChecked(exporter, (f) => f === thirdServed)).toBe(thirdServed)
  })

  it('serves a certificate renamed over the old files (cert-manager csi-driver, an editor)', async () => {
    const first = newServerCertificate('plain-first')
    const second = newServerCertificate('plain-second')
    const dir = join(pki.dir, 'plain')
    mkdirSync(dir)
    copyFileSync(first.cert, join(dir, 'tls.crt'))
    copyFileSync(first.key, join(dir, 'tls.key'))
    writeFileSync(join(dir, 'web.yml'), 'tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n')
    const exporter = await start(join(dir, 'web.yml'))
    expect(await served(exporter)).toBe(fingerprintOf(first.cert))
    copyFileSync(second.key, join(dir, '.tls.key.new'))
    copyFileSync(second.cert, join(dir, '.tls.crt.new'))
    renameSync(join(dir, '.tls.key.new'), join(dir, 'tls.key'))
    renameSync(join(dir, '.tls.crt.new'), join(dir, 'tls.crt'))
    const renewed = fingerprintOf(second.cert)
    expect(await servedOnceChecked(exporter, (f) => f === renewed)).toBe(renewed)
  })
})

/** A raw TLS handshake with the given client limits; resolves with the socket's protocol and cipher. */
function handshake(url: string, options: { maxVersion?: 'TLSv1.2' | 'TLSv1.3'; ciphers?: string }) {
  const { hostname, port } = new URL(url)
  return new Promise<{ protocol: string | null; cipher: string }>((resolve, reject) => {
    const socket: TLSSocket = connect(
      { host: hostname, port: Number(port), ca: readFileSync(pki.ca.cert), ...options },
      () => {
        resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().standardName })
        socket.end()
      },
    )
    socket.on('error', reject)
  })
}

describe('TLS protocol settings', () => {
  const withSettings = (settings: string) => {
    const path = join(pki.dir, `web-${Math.random().toString(36).slice(2)}.yml`)
    writeFileSync(path, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${settings}`)
    return start(path)
  }

  it('defaults to TLS 1.2 and 1.3', async () => {
    const exporter = await withSettings('')
    expect((await handshake(exporter.url, {})).protocol).toBe('TLSv1.3')
    expect((await handshake(exporter.url, { maxVersion: 'TLSv1.2' })).protocol).toBe('TLSv1.2')
  })

  it('min_version TLS13 refuses a TLS 1.2 client', async () => {
    const exporter = await withSettings('  min_version: TLS13\n')
    await expect(handshake(exporter.url, { maxVersion: 'TLSv1.2' })).rejects.toThrow()
    expect((await handshake(exporter.url, {})).protocol).toBe('TLSv1.3')
  })

  it('cipher_suites limits TLS 1.2 to the listed suites, in Go names', async () => {
    const exporter = await withSettings(
      '  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n',
    )
    expect(await handshake(exporter.url, {})).toEqual({
      protocol: 'TLSv1.2',
      cipher: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    })
    await expect(handshake(exporter.url, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).rejects.toThrow()
  })

  it("without cipher_suites, TLS 1.2 offers Go's default list: no RSA key exchange, DHE or CBC with SHA-256", async () => {
    // An RSA certificate, so that suites with RSA key exchange could be chosen at all.
    const rsa = makeLeaf(join(pki.dir, 'rsa'), 'server', pki.ca, {
      usage: 'serverAuth',
      sans: serverSans,
      algorithm: 'rsa',
    })
    const path = join(pki.dir, 'web-rsa.yml')
    writeFileSync(path, `tls_server_config:\n  cert_file: ${rsa.cert}\n  key_file: ${rsa.key}\n`)
    const exporter = await start(path)
    const tls12 = (ciphers?: string) => handshake(exporter.url, { maxVersion: 'TLSv1.2', ciphers })
    // Go's first choice for an RSA certificate.
    expect(await tls12()).toEqual({ protocol: 'TLSv1.2', cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' })
    expect((await tls12('ECDHE-RSA-AES256-SHA')).cipher).toBe('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA')
    for (const refused of [
      'AES128-GCM-SHA256', // RSA key exchange: no forward secrecy
      'AES256-SHA',
      'DHE-RSA-AES128-GCM-SHA256',
      'ECDHE-RSA-AES128-SHA256', // CBC with SHA-256
      'ECDHE-RSA-AES256-SHA384',
    ]) {
      await expect(tls12(refused), refused).rejects.toThrow()
    }
  })

  it('cipher_suites leaves TLS 1.3 on, as Go does', async () => {
    const exporter = await withSettings('  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n')
    expect((await handshake(exporter.url, {})).protocol).toBe('TLSv1.3')
  })
})
