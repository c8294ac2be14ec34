/**
 * exporter-toolkit's TLS names (Go's crypto/tls names) and what Node (OpenSSL) calls the same thing.
 * Only the cipher suites Go reports as secure (`tls.CipherSuites()`) are accepted, as exporter-toolkit
 * does; all of them exist in OpenSSL.
 */

export const TLS_VERSIONS = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
} as const
export type TlsVersionName = keyof typeof TLS_VERSIONS

/** TLS 1.3 suites: Go lists them but never lets them be configured; they stay on whatever the list. */
export const TLS13_CIPHER_SUITES = {
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
} as const

export const TLS12_CIPHER_SUITES = {
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
} as const

/**
 * The TLS 1.2 suites Go's crypto/tls uses when `cipher_suites` is not set, in its order of preference:
 * the ECDHE suites with AES-GCM, ChaCha20-Poly1305 and AES-CBC with SHA-1, none with RSA key exchange
 * (no forward secrecy), 3DES or CBC with SHA-256. Node's own default list has all of those too.
 */
export const GO_DEFAULT_CIPHER_SUITES: ReadonlyArray<keyof typeof TLS12_CIPHER_SUITES> = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
]

export const CIPHER_SUITE_NAMES = [
  ...Object.keys(TLS12_CIPHER_SUITES),
  ...Object.keys(TLS13_CIPHER_SUITES),
] as Array<keyof typeof TLS12_CIPHER_SUITES | keyof typeof TLS13_CIPHER_SUITES>

export const CURVES = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
} as const
export type CurveName = keyof typeof CURVES

/**
 * Node's `ciphers` string for a cipher_suites list: the listed TLS 1.2 suites in order, then the TLS
 * 1.3 suites, which Go keeps enabled whatever the list says (and Node would otherwise turn off).
 */
export function opensslCiphers(names: readonly string[]): string {
  const tls12 = names.flatMap((name) =>
    name in TLS12_CIPHER_SUITES ? [TLS12_CIPHER_SUITES[name as keyof typeof TLS12_CIPHER_SUITES]] : [],
  )
  return [...tls12, ...Object.values(TLS13_CIPHER_SUITES)].join(':')
}

export const CLIENT_AUTH_TYPES = [
  'NoClientCert',
  'RequestClientCert',
  'RequireAnyClientCert',
  // exporter-toolkit's older name for RequireAnyClientCert, still accepted there.
  'RequireClientCert',
  'VerifyClientCertIfGiven',
  'RequireAndVerifyClientCert',
] as const
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number]
