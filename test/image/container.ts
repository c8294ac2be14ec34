import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { afterAll } from 'vitest'
import { IMAGE, inspectImage, PODMAN_ENV, podman, podmanResult } from './podman.js'

// Containers of the project's image started by a test file, waited on by what they log (never by the
// clock), and removed after the file's tests.

/** The exporter's port in the image (EXPOSE). */
export const EXPORTER_PORT = 10240

/** How the Kubernetes manifests run the container: read-only root, no capability, no privilege gain. */
export const HARDENED = ['--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges']

/** A log line: the parsed JSON object, or `{ line }` for a line that is not JSON. */
export type LogEntry = Record<string, unknown>

/** The exporter's start-up line: it listens, ready for traffic. */
export const isListening = (entry: LogEntry) => entry.msg === 'tencent-chat-exporter listening'

export interface ContainerOptions {
  env?: Record<string, string>
  /** Host folders mounted read-only at `target` (folders, as Kubernetes mounts Secrets). */
  mounts?: Array<{ source: string; target: string }>
  /** Container ports, each published on an ephemeral loopback port; default the exporter's. */
  ports?: number[]
  /** podman run flags; default HARDENED. */
  flags?: string[]
  /** What follows the image: the command, through the image's entrypoint; default the image's CMD. */
  command?: string[]
  /** The log line after which the container is ready; default the exporter's start-up line. */
  ready?: (entry: LogEntry) => boolean
}

export interface Container {
  id: string
  name: string
  /** Every log line so far, from standard output and standard error. */
  logs: LogEntry[]
  /** The loopback port that a published container port is reachable on. */
  hostPort(containerPort?: number): number
  url(path: string, options?: { port?: number; scheme?: 'http' | 'https' }): string
  /** The first log line, logged or still to come, that matches; rejects if the container's output ends first. */
  waitForLog(match: (entry: LogEntry) => boolean, what: string): Promise<LogEntry>
  /** `podman healthcheck run`: the image's HEALTHCHECK once, now. */
  healthcheck(): Promise<{ code: number; output: string }>
  /** The health status podman keeps from the checks run: starting, healthy or unhealthy. */
  health(): Promise<string>
  /**
   * Runs the HEALTHCHECK until one passes, at most its `retries` times: as for the engine, only that many
   * failures in a row make the container unhealthy (one check slowed past its timeout on a loaded
   * machine does not). Resolves with the last check and the health status after it.
   */
  checkHealth(): Promise<{ code: number; output: string; status: string }>
  /** `podman stop --time grace`: SIGTERM, then SIGKILL after the grace; resolves with the exit code. */
  stop(graceSeconds: number): Promise<number>
  /** `podman kill --signal`: from outside the container, so that PID 1 gets even SIGSTOP. */
  signal(signal: string): Promise<void>
  /** `podman exec` of a command in the running container: its exit code and output. */
  exec(command: string[]): Promise<{ code: number; stdout: string; stderr: string }>
  remove(): Promise<void>
}

/** Runs a command in a new container of the image, as the manifests run it, and removes the container. */
export function runOnce(command: string[], flags: string[] = HARDENED) {
  return podmanResult(['run', '--rm', '--health-interval=disable', ...flags, IMAGE, ...command])
}

/**
 * Starts containers for the calling test file and removes them (running or not) after its tests.
 * `start` resolves once the container has logged its ready line, and rejects with its logs if it
 * exits first.
 */
export function containersOfThisFile(): { start(options?: ContainerOptions): Promise<Container> } {
  const started: Container[] = []
  afterAll(async () => {
    // Last started first: a container that shares another's network namespace goes before it.
    const failures: unknown[] = []
    for (const container of started.reverse()) await container.remove().catch((error) => failures.push(error))
    if (failures.length > 0) throw new AggregateError(failures, 'containers left behind')
  })
  return { start: (options = {}) => startContainer(options, started) }
}

async function startContainer(options: ContainerOptions, started: Container[]): Promise<Container> {
  const name = `tce-test-${randomBytes(6).toString('hex')}`
  const ports = options.ports ?? [EXPORTER_PORT]
  const args = [
    'run',
    '--detach',
    '--name',
    name,
    '--label',
    'tencent-chat-exporter.test=true',
    // No systemd here to run the checks on a timer: the tests run them (`podman healthcheck run`).
    '--health-interval=disable',
    ...(options.flags ?? HARDENED),
    ...ports.flatMap((port) => ['--publish', `127.0.0.1::${port}`]),
    ...Object.entries(options.env ?? {}).flatMap(([key, value]) => ['--env', `${key}=${value}`]),
    ...(options.mounts ?? []).flatMap(({ source, target }) => ['--volume', `${source}:${target}:ro`]),
    IMAGE,
    ...(options.command ?? []),
  ]
  const id = (await podman(args)).trim()

  const logs: LogEntry[] = []
  const waiters = new Set<{ match: (entry: LogEntry) => boolean; resolve: (entry: LogEntry) => void }>()
  let ended = false
  const endWaiters = new Set<() => void>()
  const follower: ChildProcess = spawn('podman', ['logs', '--follow', id], {
    env: PODMAN_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let openStreams = 2
  for (const stream of [follower.stdout, follower.stderr]) {
    createInterface({ input: stream as NodeJS.ReadableStream })
      .on('line', (line) => {
        let entry: LogEntry
        try {
          const parsed: unknown = JSON.parse(line)
          entry = typeof parsed === 'object' && parsed !== null ? (parsed as LogEntry) : { line }
        } catch {
          entry = { line }
        }
        logs.push(entry)
        for (const waiter of waiters) if (waiter.match(entry)) waiter.resolve(entry)
      })
      .on('close', () => {
        openStreams -= 1
        if (openStreams > 0) return
        ended = true
        for (const end of endWaiters) end()
      })
  }

  const waitForLog = (match: (entry: LogEntry) => boolean, what: string) =>
    new Promise<LogEntry>((resolve, reject) => {
      const found = logs.find(match)
      if (found) return resolve(found)
      const fail = () =>
        reject(
          new Error(
            `container ${name} stopped logging before ${what}; its logs:\n${logs.map((entry) => JSON.stringify(entry)).join('\n')}`,
          ),
        )
      if (ended) return fail()
      const waiter = {
        match,
        resolve: (entry: LogEntry) => {
          waiters.delete(waiter)
          endWaiters.delete(fail)
          resolve(entry)
        },
      }
      waiters.add(waiter)
      endWaiters.add(fail)
    })

  const published = new Map<number, number>()
  let removed = false
  const container: Container = {
    id,
    name,
    logs,
    hostPort: (containerPort = EXPORTER_PORT) => {
      const port = published.get(containerPort)
      if (port === undefined) throw new Error(`container port ${containerPort} is not published`)
      return port
    },
    url: (path, { port, scheme = 'http' } = {}) => `${scheme}://127.0.0.1:${container.hostPort(port)}${path}`,
    waitForLog,
    healthcheck: async () => {
      const result = await podmanResult(['healthcheck', 'run', id])
      return { code: result.code, output: `${result.stdout}${result.stderr}`.trim() }
    },
    health: async () => {
      const [state] = JSON.parse(await podman(['container', 'inspect', id])) as Array<{
        State: { Health?: { Status: string }; Healthcheck?: { Status: string } }
      }>
      return (state?.State.Health ?? state?.State.Healthcheck)?.Status ?? ''
    },
    checkHealth: async () => {
      const retries = (await inspectImage(IMAGE)).Healthcheck?.Retries ?? 1
      let check = await container.healthcheck()
      for (let attempt = 1; attempt < retries && check.code !== 0; attempt++)
        check = await container.healthcheck()
      return { ...check, status: await container.health() }
    },
    stop: async (graceSeconds) => {
      await podman(['stop', '--time', String(graceSeconds), id], (graceSeconds + 60) * 1000)
      return Number((await podman(['container', 'inspect', '--format', '{{.State.ExitCode}}', id])).trim())
    },
    signal: async (signal) => {
      await podman(['kill', '--signal', signal, id])
    },
    exec: (command) => podmanResult(['exec', id, ...command]),
    remove: async () => {
      if (removed) return
      removed = true
      const result = await podmanResult(['rm', '--force', '--time', '0', id])
      follower.kill()
      if (result.code !== 0) throw new Error(`could not remove container ${name}: ${result.stderr}`)
    },
  }
  started.push(container)

  await waitForLog(options.ready ?? isListening, 'its ready line')
  for (const line of (await podman(['port', id])).trim().split('\n')) {
    // 10240/tcp -> 127.0.0.1:41234
    const match = /^(\d+)\/tcp -> [\d.]+:(\d+)$/.exec(line.trim())
    if (match) published.set(Number(match[1]), Number(match[2]))
  }
  return container
}
