/**
 * Stalled readers: connections that ask for `/metrics` and never read the answer. Starts the built
 * exporter (dist/, as in the image) on one listener, fills it to MAX_SERIES (2,000) tracked APIs so
 * that the exposition is as large as it gets, opens 200 such connections at once, and follows the
 * exporter's resident memory and the connections until the exporter has closed them all (or a minute
 * has passed). Linux only (reads /proc). The figures go into BENCHMARKS.md; the test
 * `test/hardening/stalled-readers.test.ts` runs the same measurement with fewer readers.
 *
 *   npm run build && npx tsx scripts/stalled-readers.ts [--readers 200]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Agent } from 'undici'
import { postAlert } from '../bench/lib/callbacks.js'

const TOKEN = 'stalled-readers-token'
const SDKAPPID = '1400000001'
const ROOT = fileURLToPath(new URL('../', import.meta.url))
// Runs a full GC on SIGUSR2, so that the memory read after it counts what is still referenced.
const GC_ON_SIGNAL = fileURLToPath(new URL('../bench/servers/gc-on-signal.cjs', import.meta.url))

export interface StalledReadersOptions {
  /** The exporter's entry point (dist/src/main.js). */
  main: string
  apis?: number
  readers?: number
  /** Give up following the connections after this long. */
  followMs?: number
}

export interface StalledReadersResult {
  apis: number
  readers: number
  /** Bytes of one uncompressed text exposition at that size. */
  expositionBytes: number
  /** RSS in MiB after a full GC: tracking the APIs, before the readers connect. */
  rssBeforeMiB: number
  /** Highest RSS seen while the readers were connected. */
  rssPeakMiB: number
  /** RSS after a full GC once the exporter closed the connections (or the follow time ran out). */
  rssAfterMiB: number
  /** Bytes of answers in the kernel's send queues, not yet taken by the readers, at most. */
  unreadPeakBytes: number
  /** Readers' connections still open on the exporter's side when the measurement ended. */
  stillOpen: number
  /** When the first and the last of them were closed, from the moment they connected (ms). */
  firstClosedMs: number | undefined
  allClosedMs: number | undefined
}

/**
 * The exporter's side of the readers' connections, from the kernel's table: how many are open and how
 * many bytes of answers sit in their send queues, written but not yet acknowledged by the reader.
 */
export function serverConnections(
  port: number,
  peers?: ReadonlySet<number>,
): { open: number; unreadBytes: number } {
  let open = 0
  let unreadBytes = 0
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0')
  const localPort = `:${hex(port)}`
  const peerPorts = peers && new Set([...peers].map((peer) => `:${hex(peer)}`))
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      continue // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, remote, state, queues] = line.trim().split(/\s+/)
      // Every state but LISTEN (0A) and TIME_WAIT (06): a connection closed with a FIN while its answer
      // is unread (FIN_WAIT1) still holds the answer.
      if (!local?.endsWith(localPort) || state === '0A' || state === '06') continue
      // Only the given clients' connections, when given: another test may hold the same port elsewhere.
      if (peerPorts && !peerPorts.has(remote?.slice(remote.lastIndexOf(':')) ?? '')) continue
      open += 1
      unreadBytes += Number.parseInt(queues?.split(':')[0] ?? '0', 16)
    }
  }
  return { open, unreadBytes }
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024
}

async function startExporter(main: string, apis: number): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--expose-gc', '--require', GC_ON_SIGNAL, main], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: '0',
      SDKAPPIDS: SDKAPPID,
      CALLBACK_TOKEN: TOKEN,
      MAX_SERIES: String(apis),
      ALERT_TTL_SECONDS: '3600',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  // The port comes from the start-up line; later lines are read and dropped, so the pipe never fills.
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; port: number }
      if (entry.msg === 'tencent-chat-exporter listening') resolve(entry.port)
    })
    child.once('exit', () => reject(new Error('the exporter exited before listening')))
  })
  return { child, base: `http://127.0.0.1:${port}` }
}

async function fill(base: string, apis: number): Promise<void> {
  // Its own pool, closed at the end: its keep-alive connections must not count as readers'.
  const agent = new Agent({ connections: 16 })
  const alert = (index: number) =>
    postAlert(
      base,
      {
        sdkAppId: SDKAPPID,
        serviceName: `service${index % 40}`,
        command: `command${String(index).padStart(5, '0')}`,
      },
      190,
      { token: TOKEN, dispatcher: agent },
    )
  for (let next = 0; next < apis; ) {
    await Promise.all(Array.from({ length: 16 }, () => (next < apis ? alert(next++) : null)))
  }
  await agent.close()
}

/** Full GC in the exporter, then its RSS. */
async function settledRss(child: ChildProcess): Promise<number> {
  child.kill('SIGUSR2')
  await sleep(500)
  return rssMiB(child.pid as number)
}

/** A connection that asks for /metrics (without gzip, the largest answer) and never reads. */
function stalledReader(port: number, peers: Set<number>): Socket {
  const socket = connect(port, '127.0.0.1', () => {
    peers.add(socket.localPort as number)
    socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')
    socket.pause()
  })
  // A paused socket does not see the exporter's reset: the kernel's table does (serverConnections).
  socket.on('error', () => {})
  return socket
}

export async function measureStalledReaders(options: StalledReadersOptions): Promise<StalledReadersResult> {
  const apis = options.apis ?? 2000
  const readers = options.readers ?? 200
  const followMs = options.followMs ?? 60_000
  const { child, base } = await startExporter(options.main, apis)
  const sockets: Socket[] = []
  try {
    await fill(base, apis)
    const expositionBytes = (
      await (await fetch(`${base}/metrics`, { headers: { Connection: 'close' } })).arrayBuffer()
    ).byteLength
    const rssBeforeMiB = await settledRss(child)
    const port = Number(new URL(base).port)
    // The filling connections close first (through FIN_WAIT and CLOSE_WAIT): only readers are counted.
    for (let waited = 0; serverConnections(port).open > 0 && waited < 10_000; waited += 100) await sleep(100)
    const started = performance.now()
    const peers = new Set<number>()
    for (let i = 0; i < readers; i += 1) sockets.push(stalledReader(port, peers))
    let rssPeakMiB = rssBeforeMiB
    let unreadPeakBytes = 0
    let connections = serverConnections(port, peers)
    let mostOpen = 0
    let firstClosedMs: number | undefined
    let zeroSeen = false
    // Until the readers have connected and the exporter has closed them all.
    while (performance.now() - started < followMs) {
      await sleep(250)
      rssPeakMiB = Math.max(rssPeakMiB, rssMiB(child.pid as number))
      connections = serverConnections(port, peers)
      unreadPeakBytes = Math.max(unreadPeakBytes, connections.unreadBytes)
      mostOpen = Math.max(mostOpen, connections.open)
      if (firstClosedMs === undefined && connections.open < mostOpen) {
        firstClosedMs = performance.now() - started
      }
      // Twice in a row: /proc/net/tcp is read in pieces, and a line can slip past a read while other
      // connections change state.
      if (connections.open === 0 && performance.now() - started > 1000) {
        if (zeroSeen) break
        zeroSeen = true
      } else zeroSeen = false
    }
    const allClosedMs = connections.open === 0 ? performance.now() - started : undefined
    const rssAfterMiB = await settledRss(child)
    return {
      apis,
      readers,
      expositionBytes,
      rssBeforeMiB,
      rssPeakMiB,
      rssAfterMiB,
      unreadPeakBytes,
      stillOpen: connections.open,
      firstClosedMs,
      allClosedMs,
    }
  } finally {
    for (const socket of sockets) socket.destroy()
    child.kill('SIGKILL')
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit')
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const flag = (name: string) => {
    const at = process.argv.indexOf(name)
    return at === -1 ? undefined : Number(process.argv[at + 1])
  }
  const result = await measureStalledReaders({
    main: `${ROOT}dist/src/main.js`,
    readers: flag('--readers'),
    apis: flag('--apis'),
  })
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
}
