/**
 * The oldest Node.js the exporter runs on, as package.json's `engines` says: undici 7 needs 20.18.1, and
 * the test tooling 20.19. Checked by the entry points before they load anything else, so that an older
 * Node.js stops with this message instead of a syntax or import error deep inside a dependency.
 */
export const MINIMUM_NODE_VERSION = '20.19.0'

/** The numeric parts of a version such as `20.19.0` or `v22.1.0-nightly`; missing parts count as 0. */
function parts(version: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = (/^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(version) ?? [])
    .slice(1)
    .map((part) => Number(part ?? 0))
  return [major, minor, patch]
}

/** Why `version` (e.g. `process.versions.node`) is too old for the exporter, or undefined when it is not. */
export function nodeVersionProblem(version: string, minimum = MINIMUM_NODE_VERSION): string | undefined {
  const have = parts(version)
  const need = parts(minimum)
  for (let i = 0; i < 3; i++) {
    if ((have[i] as number) > (need[i] as number)) return undefined
    if ((have[i] as number) < (need[i] as number)) {
      return `needs Node.js ${minimum} or later, this is Node.js ${version}: upgrade Node.js, or run the container image`
    }
  }
  return undefined
}
