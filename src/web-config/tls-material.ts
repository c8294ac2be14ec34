import { createPrivateKey, X509Certificate } from 'node:crypto'
import { statSync } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { SecureContextOptions } from 'node:tls'
import { readRegularFile, readRegularFileSync, UnreadableFileError } from '../files/regular-file.js'
import type { PemSource, TlsSettings } from './web-config-file.js'
import { WebConfigError } from './web-config-file.js'

/** The certificate, key and client CAs as read, checked and ready for a secure context. */
export interface TlsMaterial {
  options: SecureContextOptions
  /** The serving certificate, for logs: subject, expiry, fingerprint. */
  certificate: X509Certificate
}

/** Largest certificate, key or CA bundle file read: a long chain or a big CA bundle is far below. */
const MAX_PEM_BYTES = 1024 * 1024

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

type PemTexts = { cert: string; key: string; clientCa: string | undefined }

const unreadable = (source: PemSource & { file: string }, error: unknown) => {
  if (!(error instanceof UnreadableFileError)) throw error
  return new WebConfigError(`${source.key}: ${error.message}`)
}

function readSync(source: PemSource): string {
  if ('inline' in source) return source.inline
  try {
    return readRegularFileSync(source.file, MAX_PEM_BYTES).toString('utf8')
  } catch (error) {
    throw unreadable(source, error)
  }
}

async function read(source: PemSource): Promise<string> {
  if ('inline' in source) return source.inline
  try {
    return (await readRegularFile(source.file, MAX_PEM_BYTES)).toString('utf8')
  } catch (error) {
    throw unreadable(source, error)
  }
}

function certificates(text: string, key: string): X509Certificate[] {
  const blocks = text.match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) throw new WebConfigError(`${key}: holds no PEM certificate`)
  return blocks.map((block) => {
    try {
      return new X509Certificate(block)
    } catch (error) {
      throw new WebConfigError(`${key}: not a valid certificate (${(error as Error).message})`)
    }
  })
}

/**
 * Checks the certificate, key and client CAs one by one, so that a message names the key at fault: PEM
 * that is not a certificate, a key that does not belong to the certificate. Never quotes the key.
 */
function materialOf(tls: TlsSettings, texts: PemTexts): TlsMaterial {
  const chain = certificates(texts.cert, tls.cert.key)
  const certificate = chain[0] as X509Certificate
  let key: ReturnType<typeof createPrivateKey>
  try {
    key = createPrivateKey(texts.key)
  } catch {
    throw new WebConfigError(`${tls.key.key}: not a PEM private key (or it is encrypted)`)
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new WebConfigError(
      `${tls.key.key}: the private key does not belong to the certificate in ${tls.cert.key}`,
    )
  }
  const ca =
    tls.clientCa && certificates(texts.clientCa as string, tls.clientCa.key).map((cert) => cert.toString())
  return {
    certificate,
    options: {
      cert: chain.map((cert) => cert.toString()).join(''),
      key: texts.key,
      ...(ca && { ca }),
      minVersion: tls.minVersion,
      maxVersion: tls.maxVersion,
      honorCipherOrder: tls.honorCipherOrder,
      ciphers: tls.ciphers,
      ...(tls.ecdhCurve && { ecdhCurve: tls.ecdhCurve }),
    },
  }
}

/**
 * Reads the certificate, key and client CAs at start-up and checks them: an unreadable file (or one that
 * is not a regular file: a FIFO is refused at once, never waited on) is named by its key.
 */
export function loadTlsMaterial(tls: TlsSettings): TlsMaterial {
  return materialOf(tls, {
    cert: readSync(tls.cert),
    key: readSync(tls.key),
    clientCa: tls.clientCa && readSync(tls.clientCa),
  })
}

/** The same off the event loop, for the files read again while the exporter runs. */
export async function reloadTlsMaterial(tls: TlsSettings): Promise<TlsMaterial> {
  const [cert, key, clientCa] = await Promise.all([
    read(tls.cert),
    read(tls.key),
    tls.clientCa && read(tls.clientCa),
  ])
  return materialOf(tls, { cert, key, clientCa })
}

type FileStats = { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }

const versionPart = (stats: FileStats) =>
  `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`

const fileSources = (tls: TlsSettings) =>
  [tls.cert, tls.key, tls.clientCa].map((source) =>
    source === undefined || 'inline' in source ? undefined : source.file,
  )

/**
 * What identifies the current version of the certificate files: for each, its inode, size and change
 * time (following symlinks, so a Kubernetes `..data` swap changes it); inline PEM never changes. Read
 * off the event loop.
 */
export async function materialVersion(tls: TlsSettings): Promise<string> {
  const parts = await Promise.all(
    fileSources(tls).map(async (file) => {
      if (file === undefined) return '-'
      try {
        return versionPart(await stat(file, { bigint: true }))
      } catch (error) {
        return `error:${(error as NodeJS.ErrnoException).code}`
      }
    }),
  )
  return parts.join('|')
}

/** The same at start-up, with the files just read. */
export function materialVersionSync(tls: TlsSettings): string {
  return fileSources(tls)
    .map((file) => {
      if (file === undefined) return '-'
      try {
        return versionPart(statSync(file, { bigint: true }))
      } catch (error) {
        return `error:${(error as NodeJS.ErrnoException).code}`
      }
    })
    .join('|')
}
