import { execFile, execFileSync } from 'node:child_process'
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// How every test finds the real tools it runs. scripts/install-test-tools.sh (run by `npm run test:all`)
// installs them; a missing one fails the test with the same message, never skips it: a silently
// skipped check proves nothing.

const run = promisify(execFile)
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * Where scripts/install-test-tools.sh puts the current releases it builds (its TOOLS_BIN_DIR). Searched
 * before PATH, so that Debian's older Prometheus and Alertmanager in /usr/bin never stand in for them.
 */
export const TOOLS_BIN_DIR = process.env.TOOLS_BIN_DIR ?? '/usr/local/bin'

/** Where scripts/install-test-tools.sh keeps its builds and what it fetches (its TOOLS_BUILD_DIR). */
export const TOOLS_BUILD_DIR = process.env.TOOLS_BUILD_DIR ?? '/var/cache/tencent-chat-exporter/tools'

export const INSTALL_HINT = 'run `npm run test:all` (or `sudo bash scripts/install-test-tools.sh`) once'

/**
 * Finds the first of the given executables in TOOLS_BIN_DIR, then on PATH (Debian ships Alertmanager as
 * `prometheus-alertmanager`, upstream as `alertmanager`), and throws with INSTALL_HINT when none is there.
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
  throw new Error(
    `${names.join(' or ')} is in neither ${TOOLS_BIN_DIR} (TOOLS_BIN_DIR) nor PATH: ${INSTALL_HINT}`,
  )
}

/**
 * `prometheus` or `promtool` of Prometheus 2.x: Debian 12's in /usr/bin, or PROMETHEUS_2X_BIN_DIR.
 * The bundled rules must still load, and the exporter negotiate, for users on the older line.
 */
export function findPrometheus2x(name: 'prometheus' | 'promtool'): string {
  const file = join(process.env.PROMETHEUS_2X_BIN_DIR ?? '/usr/bin', name)
  try {
    accessSync(file, constants.X_OK)
  } catch {
    throw new Error(`${file} (Prometheus 2.x) is missing: ${INSTALL_HINT}`)
  }
  return file
}

/** The tools pinned in tools/versions.env. */
export type Pin =
  | 'PROMETHEUS'
  | 'ALERTMANAGER'
  | 'HELM'
  | 'KUSTOMIZE'
  | 'KUBERNETES'
  | 'ETCD'
  | 'PROMETHEUS_OPERATOR'

/** The release a tool pin in tools/versions.env stands for: `PROMETHEUS` → `3.16.0`, `KUBERNETES` → `1.37.2`. */
export function pinnedRelease(name: Pin): string {
  const pins = readFileSync(join(repoRoot, 'tools/versions.env'), 'utf8')
  const version = new RegExp(`^${name}=[^@\\s]+@(v\\S+)$`, 'm').exec(pins)?.[1]
  if (version === undefined) throw new Error(`tools/versions.env has no ${name}=module@version line`)
  // Prometheus 3.x is tagged v0.3MM.P in its Go module.
  const prometheus3 = /^v0\.3(\d\d)\.(\d+)$/.exec(version)
  if (name === 'PROMETHEUS' && prometheus3) return `3.${Number(prometheus3[1])}.${prometheus3[2]}`
  return version.replace(/^v/, '')
}

const VERSION = /\bversion (\d+\.\d+\.\d+\S*)/

/** The version a Prometheus-project tool reports: `prometheus, version 3.16.0 (branch: …` → `3.16.0`. */
export async function toolVersion(file: string): Promise<string> {
  const { stdout, stderr } = await run(file, ['--version'])
  const version = VERSION.exec(stdout + stderr)?.[1]
  if (version === undefined) throw new Error(`${file} --version printed no version:\n${stdout}${stderr}`)
  return version
}

/**
 * The release of the Prometheus 2.x that findPrometheus2x finds, without Debian's suffix
 * (`2.42.0+ds` → `2.42.0`): what the tests that run it expect it to send and print.
 */
export function prometheus2xRelease(): string {
  const file = findPrometheus2x('prometheus')
  const output = execFileSync(file, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
  const release = /\bversion (\d+\.\d+\.\d+)/.exec(output)?.[1]
  if (release === undefined) throw new Error(`${file} --version printed no version:\n${output}`)
  return release
}

/**
 * The Prometheus Operator CRD files that scripts/install-test-tools.sh copied from the pinned release
 * (ServiceMonitor, PodMonitor, PrometheusRule), checked to be that release's.
 */
export function prometheusOperatorCrds(): string[] {
  const dir = join(TOOLS_BUILD_DIR, 'prometheus-operator-crds')
  const wanted = `@v${pinnedRelease('PROMETHEUS_OPERATOR')}`
  let stamp: string
  try {
    stamp = readFileSync(join(dir, 'STAMP'), 'utf8').split('\n')[0] ?? ''
  } catch {
    throw new Error(`${dir} holds no Prometheus Operator CRDs: ${INSTALL_HINT}`)
  }
  if (!stamp.endsWith(wanted)) {
    throw new Error(`${dir} holds the CRDs of ${stamp}, tools/versions.env pins ${wanted}: ${INSTALL_HINT}`)
  }
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => join(dir, name))
}

export interface ToolResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a tool to completion and returns its exit code and output, whatever the code. */
export async function runTool(
  file: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): Promise<ToolResult> {
  const child = run(file, args, {
    timeout: options.timeoutMs ?? 30_000,
    maxBuffer: 64 * 1024 * 1024,
    env: options.env,
    cwd: options.cwd,
  })
  if (options.input !== undefined) child.child.stdin?.end(options.input)
  try {
    const { stdout, stderr } = await child
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean }
    if (typeof failed.code !== 'number') throw error
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
  }
}
