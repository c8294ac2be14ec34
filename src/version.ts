import { readFileSync } from 'node:fs'

/** The exporter's version, read from package.json (which the Docker image ships beside the build). */
function readVersion(): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as {
        name?: string
        version?: string
      }
      if (pkg.name === 'tencent-chat-exporter' && typeof pkg.version === 'string') return pkg.version
    } catch {}
  }
  return 'unknown'
}

export const VERSION = readVersion()
