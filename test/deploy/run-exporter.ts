import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { REPO_ROOT } from './kustomize.js'

export interface RunningExporter {
  child: ChildProcess
  /** The ports it actually listens on, for the ones the manifest gave (PORT, METRICS_PORT, EGRESS_PORT). */
  callbackPort: number
  metricsPort: number | undefined
  egressPort: number | undefined
  logs: Array<Record<string, unknown>>
  /** Sends SIGTERM and resolves with the exit code and how long the exit took. */
  stop(): Promise<{ code: number | null; ms: number }>
}

/**
 * Starts the real exporter (src/main.ts through tsx) with the given container environment on
 * loopback. The manifest's ports are replaced by ephemeral ones (0), read back from the start-up log.
 */
export async function runExporter(env: Record<string, string>): Promise<RunningExporter> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      ...env,
      HOST: '127.0.0.1',
      PORT: '0',
      ...(env.METRICS_PORT !== undefined ? { METRICS_PORT: '0' } : {}),
      // The REST meter on loopback too, whatever address the manifest gives it.
      ...(env.EGRESS_PORT !== undefined ? { EGRESS_PORT: '0', EGRESS_HOST: '127.0.0.1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Array<Record<string, unknown>> = []
  let stderr = ''
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>
        logs.push(entry)
        if (entry.msg === 'tencent-chat-exporter listening') resolve(entry)
      } catch {
        logs.push({ line })
      }
    })
    child.once('exit', (code) =>
      reject(new Error(`exporter exited with ${code} before listening: ${stderr}`)),
    )
  })
  // Only a guard against a child left behind: a test file starts several exporters through tsx at once,
  // which on a loaded machine takes a while; the file's hook timeout is what fails a slow start.
  const timer = setTimeout(() => child.kill('SIGKILL'), 110_000)
  try {
    const started = await listening
    return {
      child,
      callbackPort: started.port as number,
      metricsPort: started.metrics_port as number | undefined,
      egressPort: portOfAddress((started.egress as { address?: string } | undefined)?.address),
      logs,
      stop: async () => {
        if (child.exitCode !== null) return { code: child.exitCode, ms: 0 }
        const begin = Date.now()
        const exited = once(child, 'exit')
        child.kill('SIGTERM')
        const [code] = (await exited) as [number | null]
        return { code, ms: Date.now() - begin }
      },
    }
  } finally {
    clearTimeout(timer)
  }
}

/** The port of a logged `host:port` address. */
function portOfAddress(address: string | undefined): number | undefined {
  return address === undefined ? undefined : Number(address.slice(address.lastIndexOf(':') + 1))
}
