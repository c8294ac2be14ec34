import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** Helpers for the tests that run the exporter as a real process: the entry point, signals, exit codes. */

export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url))

const execFileAsync = promisify(execFile)

export interface BuiltEntryPoint {
  /** The folder holding `dist/`, `package.json` and a link to the project's `node_modules`. */
  dir: string
  /** `dist/src/main.js` in that folder. */
  main: string
  remove(): Promise<void>
}

/**
 * Compiles `src/` with the project's own build script into a private temp folder, so that test files
 * running in parallel (and a developer's `dist/`) never see each other's half-written output.
 */
export async function buildEntryPoint(): Promise<BuiltEntryPoint> {
  const dir = await mkdtemp(join(tmpdir(), 'tce-entry-'))
  try {
    await execFileAsync('npm', ['run', 'build', '--silent', '--', '--outDir', join(dir, 'dist')], {
      cwd: PROJECT_ROOT,
    })
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`npm run build failed:\n${stdout}${stderr}`)
  }
  // package.json makes the .js files ES modules and gives the version; node_modules resolves imports.
  await copyFile(join(PROJECT_ROOT, 'package.json'), join(dir, 'package.json'))
  await symlink(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir')
  return {
    dir,
    main: join(dir, 'dist', 'src', 'main.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}

export type LogLine = Record<string, unknown>

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface ExporterProcess {
  child: ChildProcess
  readonly stdout: string
  readonly stderr: string
  /** The JSON log lines written to stdout so far. */
  logs(): LogLine[]
  /** Resolves with the first log line (past or future) that matches; rejects on exit or timeout. */
  waitForLog(matches: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>
  /** Resolves once the exporter logged that it listens; gives the bound callback port. */
  listening(timeoutMs?: number): Promise<number>
  exited: Promise<Exit>
  /** SIGKILL if still running, and wait for the exit. For afterAll and afterEach. */
  kill(): Promise<void>
}

export interface SpawnOptions {
  cwd?: string
  /** Added to a minimal environment (PATH only) with HOST=127.0.0.1 and PORT=0. */
  env?: Record<string, string>
  /** Run as this uid and gid (only when the test runs as root). */
  user?: { uid: number; gid: number }
}

/**
 * Starts `command` (e.g. `['node', main]`) with a clean environment: the developer's or CI's own PORT,
 * LOG_LEVEL and so on must not leak into a test, and only loopback and an ephemeral port are used.
 */
export function spawnExporter(command: readonly string[], options: SpawnOptions = {}): ExporterProcess {
  const [file, ...args] = command
  if (file === undefined) throw new Error('empty command')
  const child = spawn(file, args, {
    cwd: options.cwd ?? PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOST: '127.0.0.1', PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.user && { uid: options.user.uid, gid: options.user.gid }),
  })
  let stdout = ''
  let stderr = ''
  const lines: LogLine[] = []
  const listeners = new Set<() => void>()
  const notify = () => {
    for (const listener of listeners) listener()
  }
  let pending = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    pending += chunk
    const complete = pending.split('\n')
    pending = complete.pop() ?? ''
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line) as LogLine)
      } catch {
        lines.push({ msg: line, unparsed: true })
      }
    }
    notify()
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  let exit: Exit | undefined
  const exited = new Promise<Exit>((resolve) => {
    // 'close' (not 'exit') waits for stdout and stderr to be fully read.
    child.on('close', (code, signal) => {
      exit = { code, signal }
      resolve(exit)
      notify()
    })
  })

  const waitForLog = (matches: (line: LogLine) => boolean, timeoutMs = 30_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = lines.find(matches)
        if (found) return done(() => resolve(found))
        if (exit) {
          return done(() =>
            reject(new Error(`exporter exited (${JSON.stringify(exit)}) first; stderr: ${stderr}`)),
          )
        }
      }
      const timer = setTimeout(
        () => done(() => reject(new Error(`no such log line within ${timeoutMs} ms; stdout: ${stdout}`))),
        timeoutMs,
      )
      const done = (settle: () => void) => {
        clearTimeout(timer)
        listeners.delete(check)
        settle()
      }
      listeners.add(check)
      check()
    })

  return {
    child,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    logs: () => [...lines],
    waitForLog,
    listening: async (timeoutMs) => {
      const line = await waitForLog((log) => log.msg === 'tencent-chat-exporter listening', timeoutMs)
      return line.port as number
    },
    exited,
    kill: async () => {
      if (!exit) child.kill('SIGKILL')
      await exited
    },
  }
}

/** Runs the exporter until it exits on its own (bad configuration), killing it after `timeoutMs`. */
export async function runUntilExit(
  command: readonly string[],
  options: SpawnOptions & { timeoutMs?: number } = {},
): Promise<Exit & { stdout: string; stderr: string }> {
  const exporter = spawnExporter(command, options)
  const timer = setTimeout(() => exporter.child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  const exit = await exporter.exited
  clearTimeout(timer)
  return { ...exit, stdout: exporter.stdout, stderr: exporter.stderr }
}
