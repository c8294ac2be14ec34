import { type ChildProcess, spawn } from 'node:child_process'
import { setTimeout as delay } from 'node:timers/promises'

/** A server under test, running in its own process so that the load generator never shares its event loop. */
export interface ServerProcess {
  name: string
  url: string
  port: number
  pid: number
  /** Everything the process wrote to stderr (and stdout), for error messages. */
  output(): string
  stop(): Promise<void>
}

export interface SpawnOptions {
  name: string
  /** The program to run: node (this process's own) unless set, e.g. to nginx. */
  command?: string
  args: string[]
  env?: Record<string, string>
  /** Path that answers 200 over plain HTTP once the server is ready. */
  readyPath: string
  port: number
  /** Asks whether the server is ready instead of a plain HTTP GET of `readyPath` (e.g. over TLS). */
  isReady?: () => Promise<boolean>
  /**
   * Runs the program in a process group of its own and signals the whole group, for a server that
   * forks workers (nginx): killing only its master would leave the workers serving.
   */
  group?: boolean
}

/** The children still running, each with how to signal it (or its group). */
const running = new Map<ChildProcess, (signal: NodeJS.Signals) => void>()

export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const child = spawn(options.command ?? process.execPath, options.args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.group === true,
  })
  const signal = (name: NodeJS.Signals) => {
    try {
      if (options.group && child.pid !== undefined) process.kill(-child.pid, name)
      else child.kill(name)
    } catch {}
  }
  running.set(child, signal)
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  // A program that cannot be started (not installed) says so in the output, and is never ready.
  let failedToStart = false
  child.on('error', (error) => {
    failedToStart = true
    running.delete(child)
    keep(Buffer.from(`${error.message}\n`))
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.once('exit', () => running.delete(child))

  const url = `http://127.0.0.1:${options.port}`
  const isReady =
    options.isReady ??
    (async () => {
      const response = await fetch(`${url}${options.readyPath}`, { signal: AbortSignal.timeout(1000) })
      await response.arrayBuffer()
      return response.status === 200
    })
  const deadline = Date.now() + 15_000
  for (;;) {
    if (failedToStart || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.name} exited before it was ready:\n${output}`)
    }
    if (Date.now() > deadline) {
      signal('SIGKILL')
      throw new Error(`${options.name} was not ready within 15 s:\n${output}`)
    }
    try {
      if (await isReady()) break
    } catch {}
    await delay(50)
  }

  return {
    name: options.name,
    url,
    port: options.port,
    pid: child.pid as number,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      signal('SIGTERM')
      const timer = setTimeout(() => signal('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Kills every child still running: called at the end of a run and on any failure or interrupt. */
export function killAll(): void {
  for (const signal of running.values()) signal('SIGKILL')
  running.clear()
}

process.once('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(130)
  })
}
