/**
 * The callback token file's format: one token a line; blank lines and lines starting with `#` are
 * ignored; surrounding white space (including a Windows line end) is trimmed. Several tokens let an
 * operator add the new token before changing it in the Chat console, then remove the old one.
 *
 * Messages name a line number and what is wrong, never a token.
 */

/** More tokens than a rotation ever needs points at the wrong file. */
export const MAX_TOKENS = 16
/** Largest token file read; a Secret holding a few tokens is far below this. */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024
const MAX_TOKEN_LENGTH = 128

/** What is wrong with a token, or `undefined` when it can be used. */
export function tokenProblem(token: string): string | undefined {
  if (token.length === 0) return 'the token is empty'
  if (token.length > MAX_TOKEN_LENGTH) return `the token is longer than ${MAX_TOKEN_LENGTH} characters`
  if (/[\s\p{Cc}]/u.test(token)) return 'the token contains white space or control characters'
  return undefined
}

export type TokenListResult = { ok: true; tokens: string[] } | { ok: false; problem: string }

/** Parses a token file's content; duplicates are kept once, in the order first seen. */
export function parseTokenList(content: string): TokenListResult {
  const tokens: string[] = []
  const lines = content.split('\n')
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const problem = tokenProblem(line)
    if (problem !== undefined) return { ok: false, problem: `line ${index + 1}: ${problem}` }
    if (!tokens.includes(line)) tokens.push(line)
  }
  if (tokens.length === 0) {
    return {
      ok: false,
      problem:
        content.trim() === ''
          ? 'the token is empty (the file has no token)'
          : 'the file has no token (only comments and blank lines)',
    }
  }
  if (tokens.length > MAX_TOKENS) {
    return { ok: false, problem: `the file has ${tokens.length} tokens; at most ${MAX_TOKENS} are allowed` }
  }
  return { ok: true, tokens }
}
