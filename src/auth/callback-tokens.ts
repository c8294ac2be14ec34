/**
 * The tokens a callback's Sign may match right now. A token file is re-read while the exporter runs,
 * so the authentication code holds this object and reads `current` on each request rather than a
 * copy taken at start-up. `current` is never empty: a reload that finds no token keeps the old ones.
 */
export interface CallbackTokens {
  readonly current: readonly string[]
  /** Where the tokens come from, for logs and the status page. */
  readonly source: 'CALLBACK_TOKEN' | 'CALLBACK_TOKEN_FILE'
}

/** Tokens that can be replaced (by the token file watcher); everything else sees them read-only. */
export interface ReplaceableTokens extends CallbackTokens {
  replace(tokens: readonly string[]): void
}

export function createCallbackTokens(
  source: CallbackTokens['source'],
  initial: readonly string[],
): ReplaceableTokens {
  if (initial.length === 0) throw new Error('callback tokens: at least one token is needed')
  let current: readonly string[] = Object.freeze([...initial])
  return {
    source,
    get current() {
      return current
    },
    replace(tokens) {
      // Authentication must never fall open: an empty list is a programming error, not "no auth".
      if (tokens.length === 0) throw new Error('callback tokens: refusing to replace the tokens with none')
      // Always a new array, even for the same tokens: the Signs kept for the old list (expected-signs.ts)
      // are dropped when `current` is another array.
      current = Object.freeze([...tokens])
    },
  }
}
