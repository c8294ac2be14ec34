import type { Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { TLSSocket } from 'node:tls'
import { createLogThrottle } from '../logging/log-throttle.js'
import type { Logger } from '../logging/logger.js'
import type { ServerFactory } from '../server.js'
import { peerHasAllowedSan } from './client-sans.js'
import {
  loadTlsMaterial,
  materialVersion,
  materialVersionSync,
  reloadTlsMaterial,
  type TlsMaterial,
} from './tls-material.js'
import type { TlsSettings } from './web-config-file.js'

/** A TLS handshake must not take longer than the headers of a plain request may (SERVER_TIMEOUTS). */
const HANDSHAKE_TIMEOUT_MS = 10_000

const describeCertificate = (material: TlsMaterial) => ({
  subject: material.certificate.subject.replaceAll('\n', ', '),
  not_after: new Date(material.certificate.validTo).toISOString(),
  sha256_fingerprint: material.certificate.fingerprint256,
})

/**
 * An HTTPS server factory for the TLS settings, read once here (a bad file has stopped start-up
 * before). Like exporter-toolkit, the certificate, key and client CA files are looked at when a new
 * connection arrives: when one changed (cert-manager renewed it, kubelet swapped the Secret), the new
 * ones are read, off the event loop and only if they are regular files, and served from the next
 * connections on, without a restart; a half-written or mismatched pair, or a file that cannot be read,
 * keeps the previous certificate and logs an error.
 */
export function tlsServerFactory(tls: TlsSettings, logger: Logger): ServerFactory {
  const initial = loadTlsMaterial(tls)
  const initialVersion = materialVersionSync(tls)
  const refusals = createLogThrottle({ windowMs: 60_000, burst: 10 })

  return (options, handler) => {
    let material = initial
    let version = initialVersion
    // requestCert and rejectUnauthorized belong to the server, not to the secure context: they stay.
    const askForCertificate = tls.clientAuth !== 'NoClientCert'
    const server = createHttpsServer(
      {
        ...options,
        ...material.options,
        requestCert: askForCertificate,
        // Verified below for every policy, so that each refusal is logged with its reason: Node's own
        // refusal ends the handshake with no more than "socket hang up" to tell.
        rejectUnauthorized: false,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      },
      handler,
    )

    const refresh = async () => {
      const current = await materialVersion(tls)
      if (current === version) return
      version = current
      try {
        material = await reloadTlsMaterial(tls)
        server.setSecureContext(material.options)
        logger.info(
          describeCertificate(material),
          'TLS certificate files changed: serving the new certificate',
        )
      } catch (error) {
        logger.error(
          { problem: (error as Error).message, ...describeCertificate(material) },
          'TLS certificate files changed but cannot be used: still serving the previous certificate',
        )
      }
    }
    // Each new connection has the files looked at, off the event loop, one check at a time (one more
    // after it when connections came meanwhile): a change is served from the connections after the check.
    let checking = false
    let again = false
    const checkCertificates = () => {
      if (checking) {
        again = true
        return
      }
      checking = true
      again = false
      void refresh()
        .catch((error: unknown) =>
          logger.error({ problem: (error as Error).message }, 'checking the TLS certificate files failed'),
        )
        .finally(() => {
          checking = false
          if (again) checkCertificates()
        })
    }
    server.on('connection', checkCertificates)

    const refuse = (socket: TLSSocket, reason: string) => {
      const { log, suppressed } = refusals.take(reason, Date.now())
      if (log) {
        logger.warn(
          {
            reason,
            remote_address: socket.remoteAddress,
            ...(suppressed > 0 && { suppressed_since_last_window: suppressed }),
          },
          'TLS client refused',
        )
      }
      socket.destroy()
    }
    // The policies of Go's crypto/tls and client_allowed_sans, checked once the handshake is done and
    // before any request is read.
    const certificateRequired =
      tls.clientAuth === 'RequireAnyClientCert' || tls.clientAuth === 'RequireAndVerifyClientCert'
    const verified =
      tls.clientAuth === 'VerifyClientCertIfGiven' || tls.clientAuth === 'RequireAndVerifyClientCert'
    server.prependListener('secureConnection', (socket: TLSSocket) => {
      if (!askForCertificate) return
      const given = Object.keys(socket.getPeerCertificate()).length > 0
      if (!given) {
        if (certificateRequired) refuse(socket, 'no client certificate')
        return
      }
      if (verified && !socket.authorized) {
        refuse(socket, `client certificate not verified (${String(socket.authorizationError)})`)
        return
      }
      if (tls.clientAllowedSans && !peerHasAllowedSan(socket, tls.clientAllowedSans)) {
        refuse(socket, 'client certificate has none of client_allowed_sans')
      }
    })
    server.on('tlsClientError', (error, socket) => {
      logger.debug({ error: error.message, remote_address: socket.remoteAddress }, 'TLS handshake failed')
    })
    return server as unknown as Server
  }
}
