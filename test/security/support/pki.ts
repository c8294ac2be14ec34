import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type KeyPair, makeCa, makeLeaf, serverSans } from './certificates.js'

/** A CA with a server certificate, a client certificate, and a client certificate from another CA. */
export interface Pki {
  dir: string
  ca: KeyPair
  server: KeyPair
  client: KeyPair
  /** Signed by a CA the exporter does not trust. */
  strangerClient: KeyPair
  remove(): void
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'tce-pki-'))
  const ca = makeCa(dir, 'ca')
  const stranger = makeCa(join(dir, 'stranger'), 'stranger-ca')
  return {
    dir,
    ca,
    server: makeLeaf(dir, 'server', ca, { usage: 'serverAuth', sans: serverSans }),
    client: makeLeaf(dir, 'client', ca, { usage: 'clientAuth', sans: ['DNS:prometheus.monitoring.svc'] }),
    strangerClient: makeLeaf(join(dir, 'stranger'), 'client', stranger, {
      usage: 'clientAuth',
      sans: ['DNS:prometheus.monitoring.svc'],
    }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
