import { readTextFileSync } from '../files/regular-file.js'

/** A CA bundle of a few hundred certificates fits; a larger file is not one. */
const MAX_CA_FILE_BYTES = 4 * 1024 * 1024

/** Reads CHAT_REST_CA_FILE: one or more PEM certificates, to trust besides the system's. */
export function readPemCertificates(
  path: string,
): { ok: true; pem: string } | { ok: false; problem: string } {
  const read = readTextFileSync(path, MAX_CA_FILE_BYTES)
  if (!read.ok) return { ok: false, problem: read.problem }
  if (!/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.test(read.content)) {
    return { ok: false, problem: 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)' }
  }
  return { ok: true, pem: read.content }
}
