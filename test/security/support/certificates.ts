import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** A certificate and its key, as PEM files on disk. */
export interface KeyPair {
  cert: string
  key: string
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: 'pipe' })

/** `openssl req` arguments for a new key (P-256, or RSA 2048) in `name.key`, for the subject CN=name. */
const newKey = (name: string, algorithm: 'ec' | 'rsa' = 'ec') => [
  'req',
  '-newkey',
  ...(algorithm === 'rsa' ? ['rsa:2048'] : ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256']),
  '-nodes',
  '-keyout',
  `${name}.key`,
  '-subj',
  `/CN=${name}`,
]

const keyPair = (dir: string, name: string): KeyPair => ({
  cert: join(dir, `${name}.crt`),
  key: join(dir, `${name}.key`),
})

/** A self-signed CA made with the openssl command line, in `dir/name.crt` and `dir/name.key`. */
export function makeCa(dir: string, name: string): KeyPair {
  mkdirSync(dir, { recursive: true })
  openssl(
    [
      ...newKey(name),
      '-x509',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  )
  return keyPair(dir, name)
}

/**
 * A leaf certificate signed by `ca`: a server certificate for 127.0.0.1 and localhost, or a client
 * certificate with the given SANs.
 */
export function makeLeaf(
  dir: string,
  name: string,
  ca: KeyPair,
  options: { usage: 'serverAuth' | 'clientAuth'; sans: string[]; algorithm?: 'ec' | 'rsa' },
): KeyPair {
  mkdirSync(dir, { recursive: true })
  openssl([...newKey(name, options.algorithm), '-out', `${name}.csr`], dir)
  writeFileSync(
    join(dir, `${name}.ext`),
    `subjectAltName=${options.sans.join(',')}\nextendedKeyUsage=${options.usage}\nkeyUsage=critical,digitalSignature\n`,
  )
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      ca.cert,
      '-CAkey',
      ca.key,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  )
  return keyPair(dir, name)
}

export const serverSans = ['IP:127.0.0.1', 'DNS:localhost']

/** The SHA-256 fingerprint of a PEM certificate file as Node prints it (AA:BB:…). */
export function fingerprintOf(certFile: string): string {
  const out = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'])
    .toString()
    .trim()
  return out.slice(out.indexOf('=') + 1)
}

export const pem = (file: string) => readFileSync(file, 'utf8')
