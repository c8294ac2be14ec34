import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findTool } from '../../helpers/tools.js'

// The throwaway credentials of a test control plane, made with the openssl command line in its
// temporary directory: a CA, the API server's serving certificate for the loopback address, a client
// certificate in the system:masters group for the tests and the controller manager, and the key that
// signs and verifies service-account tokens.

export interface ControlPlanePki {
  caCert: string
  caKey: string
  servingCert: string
  servingKey: string
  adminCert: string
  adminKey: string
  serviceAccountKey: string
  serviceAccountPublicKey: string
}

const openssl = (dir: string, args: string[]) =>
  execFileSync(findTool('openssl'), args, { cwd: dir, stdio: 'pipe' })

/** A P-256 key in `name.key` and a certificate `name.crt` for `subject`, signed by the CA in `dir`. */
function signedCertificate(dir: string, name: string, subject: string, extensions: string): void {
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-subj',
    subject,
    '-out',
    `${name}.csr`,
  ])
  writeFileSync(join(dir, `${name}.ext`), extensions)
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ])
}

export function makeControlPlanePki(dir: string): ControlPlanePki {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=tencent-chat-exporter-test-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  signedCertificate(
    dir,
    'apiserver',
    '/CN=kube-apiserver',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n',
  )
  // The API server maps the certificate's O to groups: system:masters may do anything.
  signedCertificate(
    dir,
    'admin',
    '/O=system:masters/CN=tencent-chat-exporter-tests',
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n',
  )
  // The API server reads EC keys in their SEC1 form, and verifies tokens with the public half.
  openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'service-account.key'])
  openssl(dir, ['ec', '-in', 'service-account.key', '-pubout', '-out', 'service-account.pub'])
  const file = (name: string) => join(dir, name)
  return {
    caCert: file('ca.crt'),
    caKey: file('ca.key'),
    servingCert: file('apiserver.crt'),
    servingKey: file('apiserver.key'),
    adminCert: file('admin.crt'),
    adminKey: file('admin.key'),
    serviceAccountKey: file('service-account.key'),
    serviceAccountPublicKey: file('service-account.pub'),
  }
}
