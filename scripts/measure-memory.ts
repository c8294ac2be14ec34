/**
 * Measures the exporter's memory (and CPU) to size the Kubernetes sidecar's requests and limit:
 * the built exporter (dist/, as in the image) idle, then tracking MAX_SERIES (2,000) APIs, then under
 * a short loopback load of repeated alarms and frequent scrapes. Linux only (reads /proc).
 *
 *   npm run build && npx tsx scripts/measure-memory.ts [--seconds 20]
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent } from 'undici'
import { postAlert } from '../bench/lib/callbacks.js'

const TOKEN = 'measure-memory-token'
const SDKAPPID = '1400000001'
const APIS = 2000
const CONCURRENCY = 16
const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 20

const agent = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 30_000 })

/** Resident set size now and its peak, in MiB, from /proc. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 }
}

/** CPU seconds the process has used (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function start(): Promise<{ child: ChildProcess; callback: string; metrics: string }> {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: new URL('../', import.meta.url),
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      SDKAPPIDS: SDKAPPID,
      CALLBACK_TOKEN: TOKEN,
      MAX_SERIES: String(APIS),
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  // The ports come from the start-up line; later log lines are read and dropped, so the pipe never fills.
  const ports = await new Promise<{ port: number; metrics_port: number }>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; port: number; metrics_port: number }
      if (entry.msg === 'tencent-chat-exporter listening') resolve(entry)
    })
    child.once('exit', () => reject(new Error('the exporter exited before listening')))
  })
  return {
    child,
    callback: `http://127.0.0.1:${ports.port}`,
    metrics: `http://127.0.0.1:${ports.metrics_port}/metrics`,
  }
}

function alert(base: string, command: string, request: number): Promise<void> {
  return postAlert(base, { sdkAppId: SDKAPPID, serviceName: 'openim', command }, request, {
    token: TOKEN,
    dispatcher: agent,
  })
}

async function scrape(url: string): Promise<number> {
  const response = await fetch(url, {
    // @ts-expect-error undici's dispatcher option
    dispatcher: agent,
  })
  return (await response.text()).length
}

const command = (index: number) => `cmd${String(index).padStart(4, '0')}`

async function main(): Promise<void> {
  const { child, callback, metrics } = await start()
  const pid = child.pid as number
  const rows: string[][] = []
  const record = (phase: string, extra = '') => {
    const { rss, peak } = memory(pid)
    rows.push([phase, rss.toFixed(1), peak.toFixed(1), extra])
  }

  await sleep(2000)
  await scrape(metrics)
  record('idle, after one scrape')

  for (let next = 0; next < APIS; ) {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, () => (next < APIS ? alert(callback, command(next++), 300) : null)),
    )
  }
  let size = 0
  for (let i = 0; i < 3; i++) size = await scrape(metrics)
  record(`${APIS} APIs tracked`, `exposition ${(size / 1024).toFixed(0)} KiB`)

  const cpuBefore = cpuSeconds(pid)
  const began = Date.now()
  const deadline = began + seconds * 1000
  let sent = 0
  const scraper = (async () => {
    while (Date.now() < deadline) {
      await scrape(metrics)
      await sleep(1000)
    }
  })()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        await alert(callback, command(sent % APIS), 200 + (sent % 400))
        sent++
      }
    }),
  )
  await scraper
  const elapsed = (Date.now() - began) / 1000
  const cores = (cpuSeconds(pid) - cpuBefore) / elapsed
  record(
    `load: ${seconds}s of alarms, scrape every 1s`,
    `${(sent / elapsed).toFixed(0)} alarms/s at ${(cores * 1000).toFixed(0)}m CPU`,
  )

  child.kill('SIGTERM')
  await once(child, 'exit')
  await agent.close()

  process.stdout.write(`node ${process.version}, MAX_SERIES=${APIS}, ${CONCURRENCY} concurrent clients\n\n`)
  process.stdout.write('| phase | RSS MiB | peak RSS MiB | notes |\n|---|---|---|---|\n')
  for (const row of rows) process.stdout.write(`| ${row.join(' | ')} |\n`)
}

main().catch((error: unknown) => {
  process.stderr.write(`measure-memory: ${(error as Error).stack ?? String(error)}\n`)
  process.exit(1)
})
