/**
 * A bcrypt hash as htpasswd (`$2y$`), Go's x/crypto/bcrypt and Python's bcrypt (`$2a$`, `$2b$`) write
 * it: version, two-digit cost 04–31, 22 characters of salt and 31 of hash.
 */
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/

/** What is wrong with a basic_auth_users value, or `undefined`. Never quotes the value. */
export function checkBcryptHash(value: string): string | undefined {
  const match = BCRYPT.exec(value)
  if (!match) {
    return 'must be a bcrypt hash ($2y$…, 60 characters, as made by `htpasswd -nBC 10 "" | tr -d \':\\n\'`), not a password'
  }
  const cost = Number(match[1])
  if (cost < 4 || cost > 31) return `the bcrypt cost must be 04 to 31, got ${match[1]}`
  return undefined
}

/**
 * `$2y$` (PHP's and htpasswd's mark) and `$2b$` name the same algorithm; the bcrypt package knows
 * `$2a$` and `$2b$` only.
 */
export const normaliseBcryptHash = (hash: string) => (hash.startsWith('$2y$') ? `$2b$${hash.slice(4)}` : hash)
