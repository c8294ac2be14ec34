import { X509Certificate } from 'node:crypto'
import type { TLSSocket } from 'node:tls'

/**
 * The Subject Alternative Names of a certificate as exporter-toolkit compares them: DNS names, e-mail
 * addresses, IP addresses and URIs, each as plain text.
 */
export function subjectAltNames(certificate: X509Certificate): string[] {
  const text = certificate.subjectAltName
  if (!text) return []
  // Node writes "DNS:a, IP Address:10.0.0.1, email:x@y, URI:spiffe://…"; values with ", " or ":" are
  // JSON-quoted.
  return text
    .split(/, (?=(?:DNS|IP Address|email|URI|DirName|othername|Registered ID):)/)
    .flatMap((entry) => {
      const colon = entry.indexOf(':')
      const kind = entry.slice(0, colon)
      let value = entry.slice(colon + 1)
      if (value.startsWith('"')) {
        try {
          value = JSON.parse(value) as string
        } catch {}
      }
      return ['DNS', 'IP Address', 'email', 'URI'].includes(kind) ? [value] : []
    })
}

/** Whether the peer's certificate names one of the allowed SANs exactly. */
export function peerHasAllowedSan(socket: TLSSocket, allowed: readonly string[]): boolean {
  const raw = socket.getPeerCertificate().raw
  if (!raw) return false
  return subjectAltNames(new X509Certificate(raw)).some((name) => allowed.includes(name))
}
