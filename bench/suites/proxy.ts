import type { Builds } from '../lib/build.js'
import { CALLBACK_PATH, type PreparedRequest, signedPath } from '../lib/callbacks.js'
import type { ServerProcess } from '../lib/children.js'
import { type PacedResult, runPaced } from '../lib/paced.js'
import { median, round } from '../lib/stats.js'
import { startExporter, startReference } from '../lib/targets.js'

export interface ProxyOptions {
  builds: Builds
  rounds: number
  roundSeconds: number
  warmupSeconds: number
  connections: number
  /** Requests per second, evenly paced: below saturation, so latencies show the hop, not queueing. */
  rate: number
  log: (line: string) => void
}

interface PathFigures {
  reqPerSec: number
  p50Ms: number
  p99Ms: number
}

export interface ProxyResult {
  connections: number
  rate: number
  rounds: number
  roundSeconds: number
  direct: PathFigures
  proxied: PathFigures
  addedP50Ms: number
  addedP99Ms: number
}

type RoundResult = PacedResult & { reqPerSec: number }

const SDKAPPID = '1400000000'
const UPSTREAM_PATH = '/app/callback'

// A before-callback as Chat sends it for a one-to-one message: forwarded to the app, whose answer decides.
function beforeSendMsg(i: number): string {
  return JSON.stringify({
    CallbackCommand: 'C2C.CallbackBeforeSendMsg',
    From_Account: `user_${i % 97}`,
    To_Account: `user_${(i * 7) % 89}`,
    MsgSeq: 48374 + i,
    MsgRandom: 2837546 + i,
    MsgTime: 1557481126,
    MsgKey: `48374_2837546_${1557481126 + i}`,
    OnlineOnlyFlag: 0,
    MsgBody: [{ MsgType: 'TIMTextElem', MsgContent: { Text: `hello ${i}` } }],
    CloudCustomData: '',
  })
}

function requests(path: string): PreparedRequest[] {
  const query = signedPath(SDKAPPID)
    .slice(CALLBACK_PATH.length)
    .replace('Alert.RequestOverLimit', 'C2C.CallbackBeforeSendMsg')
  return Array.from({ length: 50 }, (_, i) => ({
    method: 'POST',
    path: `${path}${query}`,
    headers: { 'content-type': 'application/json' },
    body: beforeSendMsg(i),
  }))
}

/**
 * Front-proxy mode: the same before-callbacks sent to a node:http upstream directly, and through the
 * exporter with UPSTREAM_URL pointing at it, in alternating rounds at a fixed rate. The difference of
 * the latencies is what the exporter adds on the way.
 */
export async function benchProxy(options: ProxyOptions): Promise<ProxyResult> {
  const upstream = await startReference('bare', options.builds.bare)
  let exporter: ServerProcess | undefined
  try {
    exporter = await startExporter({
      entry: options.builds.exporter,
      sdkAppIds: SDKAPPID,
      env: { UPSTREAM_URL: `${upstream.url}${UPSTREAM_PATH}` },
    })
    // The exporter says which mode it runs in: a build that ignored UPSTREAM_URL would answer the
    // callbacks itself, and the figures would measure nothing of the forwarding.
    const status = (await (await fetch(`${exporter.url}/api/v1/status`)).json()) as { mode?: string }
    if (status.mode !== 'front_proxy') {
      throw new Error(`proxy: the exporter started with UPSTREAM_URL runs in mode ${String(status.mode)}`)
    }
    const paths = {
      direct: { url: upstream.url, path: UPSTREAM_PATH },
      proxied: { url: exporter.url, path: CALLBACK_PATH },
    }
    const runRound = async (name: keyof typeof paths, seconds: number) => {
      const result = await runPaced({
        origin: paths[name].url,
        requests: requests(paths[name].path),
        rate: options.rate,
        seconds,
        connections: options.connections,
      })
      if (result.notOk > 0) throw new Error(`proxy ${name}: ${result.notOk} failed requests`)
      return { ...result, reqPerSec: result.ok / seconds }
    }
    await runRound('direct', options.warmupSeconds)
    await runRound('proxied', options.warmupSeconds)
    const rounds: Record<keyof typeof paths, RoundResult[]> = { direct: [], proxied: [] }
    for (let i = 0; i < options.rounds; i++) {
      for (const name of i % 2 === 0 ? (['direct', 'proxied'] as const) : (['proxied', 'direct'] as const)) {
        const result = await runRound(name, options.roundSeconds)
        rounds[name].push(result)
        options.log(
          `  round ${i + 1}/${options.rounds} ${name.padEnd(8)} p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`,
        )
      }
    }
    const figures = (list: RoundResult[]): PathFigures => ({
      reqPerSec: Math.round(median(list.map((r) => r.reqPerSec))),
      p50Ms: round(median(list.map((r) => r.p50Ms))),
      p99Ms: round(median(list.map((r) => r.p99Ms))),
    })
    const direct = figures(rounds.direct)
    const proxied = figures(rounds.proxied)
    return {
      connections: options.connections,
      rate: options.rate,
      rounds: options.rounds,
      roundSeconds: options.roundSeconds,
      direct,
      proxied,
      addedP50Ms: round(proxied.p50Ms - direct.p50Ms),
      addedP99Ms: round(proxied.p99Ms - direct.p99Ms),
    }
  } finally {
    await exporter?.stop()
    await upstream.stop()
  }
}
