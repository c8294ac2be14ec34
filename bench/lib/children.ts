import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
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
  args: string[]
  env?: Record<string, string>
  /** Path that answers 200 once the server is ready. */
  readyPath: string
  port: number
}

const running = new Set<ChildProcess>()

export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  const child = spawn(process.execPath, options.args, {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let output = ''
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = once(child, 'exit')
  child.once('exit', () => running.delete(child))

  const url = `http://127.0.0.1:${options.port}`
  const deadline = Date.now() + 15_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.name} exited before it was ready:\n${output}`)
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${options.name} was not ready within 15 s:\n${output}`)
    }
    try {
      const response = await fetch(`${url}${options.readyPath}`, { signal: AbortSignal.timeout(1000) })
      await response.arrayBuffer()
      if (response.status === 200) break
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
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Kills every child still running: called at the end of a run and on any failure or interrupt. */
export function killAll(): void {
  for (const child of running) child.kill('SIGKILL')
  running.clear()
}

process.once('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(130)
  })
}
