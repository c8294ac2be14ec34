import { execFile } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from './paths.js'

const run = promisify(execFile)

/**
 * Where scripts/install-test-tools.sh puts the current releases it builds (its TOOLS_BIN_DIR). Searched
 * before PATH, so that Debian's older Prometheus and Alertmanager in /usr/bin never stand in for them.
 */
export const TOOLS_BIN_DIR = process.env.TOOLS_BIN_DIR ?? '/usr/local/bin'

/**
 * Finds the first of the given executables in TOOLS_BIN_DIR, then on PATH (Debian ships Alertmanager as
 * `prometheus-alertmanager`, upstream as `alertmanager`). Throws rather than skipping:
 * scripts/install-test-tools.sh installs them, and a silently skipped check proves nothing.
 */
export function findTool(...names: string[]): string {
  const dirs = [TOOLS_BIN_DIR, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)]
  for (const name of names) {
    for (const dir of dirs) {
      const file = join(dir, name)
      try {
        accessSync(file, constants.X_OK)
        return file
      } catch {}
    }
  }
  throw new Error(`none of ${names.join(', ')} is on PATH: run scripts/install-test-tools.sh`)
}

/**
 * `prometheus` or `promtool` of Prometheus 2.x: Debian 12's 2.42 in /usr/bin, or PROMETHEUS_2X_BIN_DIR.
 * The bundled rules must still load, and the exporter negotiate, for users on the older line.
 */
export function findPrometheus2x(name: 'prometheus' | 'promtool'): string {
  const file = join(process.env.PROMETHEUS_2X_BIN_DIR ?? '/usr/bin', name)
  try {
    accessSync(file, constants.X_OK)
  } catch {
    throw new Error(`${file} (Prometheus 2.x) is missing: run scripts/install-test-tools.sh`)
  }
  return file
}

/** The release a tool pin in tools/versions.env stands for: `PROMETHEUS` → `3.16.0`. */
export function pinnedRelease(name: 'PROMETHEUS' | 'ALERTMANAGER' | 'HELM' | 'KUSTOMIZE'): string {
  const pins = readFileSync(join(repoRoot, 'tools/versions.env'), 'utf8')
  const version = new RegExp(`^${name}=[^@\\s]+@(v\\S+)$`, 'm').exec(pins)?.[1]
  if (version === undefined) throw new Error(`tools/versions.env has no ${name}=module@version line`)
  // Prometheus 3.x is tagged v0.3MM.P in its Go module.
  const prometheus3 = /^v0\.3(\d\d)\.(\d+)$/.exec(version)
  if (name === 'PROMETHEUS' && prometheus3) return `3.${Number(prometheus3[1])}.${prometheus3[2]}`
  return version.replace(/^v/, '')
}

/** The version a Prometheus-project tool reports: `prometheus, version 3.16.0 (branch: …` → `3.16.0`. */
export async function toolVersion(file: string): Promise<string> {
  const { stdout, stderr } = await run(file, ['--version'])
  const version = /\bversion (\d+\.\d+\.\d+\S*)/.exec(stdout + stderr)?.[1]
  if (version === undefined) throw new Error(`${file} --version printed no version:\n${stdout}${stderr}`)
  return version
}

export interface ToolResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a tool to completion and returns its exit code and output, whatever the code. */
export async function runTool(file: string, args: string[], timeoutMs = 30_000): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(file, args, { timeout: timeoutMs })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string }
    if (typeof failed.code !== 'number') throw error
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
  }
}
