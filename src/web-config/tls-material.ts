import { createPrivateKey, X509Certificate } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import type { SecureContextOptions } from 'node:tls'
import type { PemSource, TlsSettings } from './web-config-file.js'
import { WebConfigError } from './web-config-file.js'

/** The certificate, key and client CAs as read, checked and ready for a secure context. */
export interface TlsMaterial {
  options: SecureContextOptions
  /** The serving certificate, for logs: subject, expiry, fingerprint. */
  certificate: X509Certificate
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

function read(source: PemSource): string {
  if ('inline' in source) return source.inline
  try {
    return readFileSync(source.file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new WebConfigError(`${source.key}: cannot read ${JSON.stringify(source.file)} (${code})`)
  }
}

function certificates(source: PemSource): X509Certificate[] {
  const blocks = read(source).match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) throw new WebConfigError(`${source.key}: holds no PEM certificate`)
  return blocks.map((block) => {
    try {
      return new X509Certificate(block)
    } catch (error) {
      throw new WebConfigError(`${source.key}: not a valid certificate (${(error as Error).message})`)
    }
  })
}

/**
 * Reads the certificate, key and client CAs and checks them one by one, so that a message names the
 * key at fault: an unreadable file, PEM that is not a certificate, a key that does not belong to the
 * certificate. Never quotes the key.
 */
export function loadTlsMaterial(tls: TlsSettings): TlsMaterial {
  const chain = certificates(tls.cert)
  const certificate = chain[0] as X509Certificate
  const keyPem = read(tls.key)
  let key: ReturnType<typeof createPrivateKey>
  try {
    key = createPrivateKey(keyPem)
  } catch {
    throw new WebConfigError(`${tls.key.key}: not a PEM private key (or it is encrypted)`)
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new WebConfigError(
      `${tls.key.key}: the private key does not belong to the certificate in ${tls.cert.key}`,
    )
  }
  const ca = tls.clientCa && certificates(tls.clientCa).map((cert) => cert.toString())
  return {
    certificate,
    options: {
      cert: chain.map((cert) => cert.toString()).join(''),
      key: keyPem,
      ...(ca && { ca }),
      minVersion: tls.minVersion,
      maxVersion: tls.maxVersion,
      honorCipherOrder: tls.honorCipherOrder,
      ...(tls.ciphers && { ciphers: tls.ciphers }),
      ...(tls.ecdhCurve && { ecdhCurve: tls.ecdhCurve }),
    },
  }
}

/**
 * What identifies the current version of the certificate files: for each, its inode, size and change
 * time (following symlinks, so a Kubernetes `..data` swap changes it). Cheap enough for every new
 * connection; inline PEM never changes.
 */
export function materialVersion(tls: TlsSettings): string {
  return [tls.cert, tls.key, tls.clientCa]
    .map((source) => {
      if (source === undefined || 'inline' in source) return '-'
      try {
        const stat = statSync(source.file, { bigint: true })
        return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}`
      } catch (error) {
        return `error:${(error as NodeJS.ErrnoException).code}`
      }
    })
    .join('|')
}
