import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { makeUserSig } from '../../scripts/simulator/usersig.js'
import { freePort } from '../../test/helpers/free-port.js'
import { makeCa, makeLeaf, serverSans } from '../../test/security/support/certificates.js'
import type { Builds } from '../lib/build.js'
import type { PreparedRequest } from '../lib/callbacks.js'
import { type ServerProcess, spawnServer } from '../lib/children.js'
import { type LoadResult, runLoad } from '../lib/load.js'
import { findNginx, startNginx } from '../lib/nginx.js'
import { runPaced } from '../lib/paced.js'
import { cpuSeconds, treeCpuSeconds } from '../lib/process-cpu.js'
import { median, round } from '../lib/stats.js'
import { startExporter } from '../lib/targets.js'

export interface EgressOptions {
  builds: Builds
  /** Rounds at a fixed concurrency, and as many rounds at an even rate, per path. */
  rounds: number
  roundSeconds: number
  warmupSeconds: number
  /** Keep-alive connections of the load generator (and at most as many calls in flight). */
  connections: number
  /** Calls per second of the paced rounds, evenly spread: below saturation, so latency shows the hop. */
  rate: number
  pacedSeconds: number
  /** When set, the meter and the floor run under `node --cpu-prof` and write their profiles here. */
  profileDir?: string
  log: (line: string) => void
}

/**
 * The ways an app's REST call can reach Chat (here a fast stand-in over HTTPS): directly, through the
 * exporter's REST meter, through the meter's floor (the same stack, no measurement), through nginx.
 */
export const EGRESS_PATHS = ['direct', 'meter', 'floor', 'nginx'] as const
export type EgressPath = (typeof EGRESS_PATHS)[number]
const HOPS = ['meter', 'floor', 'nginx'] as const
type Hop = (typeof HOPS)[number]

export interface EgressRound {
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  clientCores: number
  /** CPU time per answered call of the hop (nginx: its master and worker), µs; undefined for `direct`. */
  hopCpuMicros: number | undefined
  /** CPU time per answered call of the Chat stand-in, µs. */
  chatCpuMicros: number | undefined
}

export interface EgressPacedRound {
  p50Ms: number
  p99Ms: number
  hopCpuMicros: number | undefined
}

export interface EgressPathFigures {
  /** Medians over the rounds at a fixed concurrency. */
  reqPerSec: number
  p50Ms: number
  p99Ms: number
  clientCores: number
  hopCpuMicros: number | undefined
  chatCpuMicros: number | undefined
  /** Medians over the paced rounds at `EgressResult.rate` calls per second. */
  atRate: { p50Ms: number; p99Ms: number; hopCpuMicros: number | undefined }
  rounds: EgressRound[]
  pacedRounds: EgressPacedRound[]
}

export interface EgressResult {
  connections: number
  rounds: number
  roundSeconds: number
  rate: number
  pacedSeconds: number
  /** The Chat REST APIs called, in turn. */
  apis: string[]
  nginxVersion: string
  paths: Record<EgressPath, EgressPathFigures>
  /** Latency each hop adds to the direct path at `rate` calls per second (median p50 and p99 of rounds). */
  addedAtRate: Record<Hop, { p50Ms: number; p99Ms: number }>
  /** Throughput at a fixed concurrency, and CPU per call, of one hop over another's. */
  ratios: {
    meterToFloor: { reqPerSec: number; cpu: number | undefined }
    meterToNginx: { reqPerSec: number; cpu: number | undefined }
    floorToNginx: { reqPerSec: number; cpu: number | undefined }
  }
  /** Calls answered through the meter, and the calls its tencent_chat_rest_requests_total counted. */
  meterCounts: { answered: number; counted: number }
}

const SDKAPPID = '1400000000'
const IDENTIFIER = 'administrator'
const text = (t: string) => [{ MsgType: 'TIMTextElem', MsgContent: { Text: t } }]

/** Real Chat REST APIs with bodies of the size apps send, so that paths and bodies are realistic. */
const CALLS: Array<{ api: string; body: (i: number) => unknown }> = [
  {
    api: 'openim/sendmsg',
    body: (i) => ({
      SyncOtherMachine: 2,
      From_Account: `user_${i % 97}`,
      To_Account: `user_${(i * 7) % 89}`,
      MsgRandom: 1287657 + i,
      MsgBody: text(`hello ${i}`),
    }),
  },
  {
    api: 'openim/batchsendmsg',
    body: (i) => ({
      SyncOtherMachine: 2,
      From_Account: 'administrator',
      To_Account: ['user_1', 'user_2', 'user_3', 'user_4'],
      MsgRandom: 19901224 + i,
      MsgBody: text('maintenance tonight at 23:00'),
    }),
  },
  {
    api: 'group_open_http_svc/send_group_msg',
    body: (i) => ({ GroupId: '@TGS#2C5SZEAEF', Random: 8912345 + i, MsgBody: text(`group message ${i}`) }),
  },
  {
    api: 'group_open_http_svc/get_group_info',
    body: () => ({ GroupIdList: ['@TGS#1NVTZEAE4', '@TGS#1CXTZEAET'] }),
  },
  {
    api: 'profile/portrait_get',
    body: (i) => ({
      To_Account: [`user_${i % 97}`],
      TagList: ['Tag_Profile_IM_Nick', 'Tag_Profile_IM_Image'],
    }),
  },
  { api: 'openim/query_online_status', body: () => ({ To_Account: ['user_1', 'user_2', 'user_3'] }) },
  { api: 'im_open_login_svc/account_import', body: (i) => ({ UserID: `user_${i}`, Nick: `user ${i}` }) },
  {
    api: 'sns/friend_check',
    body: (i) => ({
      From_Account: `user_${i % 97}`,
      To_Account: ['user_1', 'user_2'],
      CheckType: 'CheckResult_Type_Both',
    }),
  },
]

/** 200 calls over the APIs in turn, each with its own `random`, as an app makes them. */
export function restCalls(): PreparedRequest[] {
  const usersig = makeUserSig({
    sdkappid: SDKAPPID,
    key: 'bench-app-secret-key-0123456789abcdef',
    identifier: IDENTIFIER,
    expireSeconds: 86_400,
  })
  return Array.from({ length: 200 }, (_, i) => {
    const call = CALLS[i % CALLS.length] as (typeof CALLS)[number]
    const query = new URLSearchParams({
      sdkappid: SDKAPPID,
      identifier: IDENTIFIER,
      usersig,
      random: String(3_000_000_000 + i * 7919),
      contenttype: 'json',
    })
    return {
      method: 'POST',
      path: `/v4/${call.api}?${query}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(call.body(i)),
    }
  })
}

interface Target {
  origin: string
  /** The hop's process (undefined for `direct`). */
  hop: ServerProcess | undefined
}

/** Sum of a counter's samples in a Prometheus text exposition. */
function counterSum(exposition: string, name: string): number {
  let sum = 0
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').at(-1))
  }
  return sum
}

const perCall = (before: number | undefined, after: number | undefined, calls: number) =>
  before === undefined || after === undefined || calls === 0 ? undefined : ((after - before) * 1e6) / calls
const optionalMedian = (values: Array<number | undefined>) => {
  const known = values.filter((v): v is number => v !== undefined)
  return known.length === 0 ? undefined : round(median(known), 1)
}
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? undefined : round(a / b, 2)

/**
 * The REST meter against what a user would put in its place, in one run: REST calls from autocannon to
 * a fast stand-in for Chat over HTTPS directly (the client speaks TLS), through the exporter's REST
 * meter, through the meter's floor (bench/servers/egress-floor.ts) and through Debian's nginx with
 * one worker (bench/lib/nginx.ts). Each hop takes plain HTTP on loopback, as the app's calls reach the
 * sidecar, and speaks HTTPS to Chat over keep-alive connections, verifying its certificate. Rounds at a
 * fixed concurrency alternate between the paths, the order rotating each round, with each hop's CPU per
 * call and the stand-in's read from /proc; then paced rounds at an even rate give the latency each hop
 * adds below saturation. The figures of a path are the medians over its rounds.
 */
export async function benchEgress(options: EgressOptions): Promise<EgressResult> {
  const nginxVersion = findNginx().version
  const pkiDir = mkdtempSync(join(tmpdir(), 'tce-bench-pki-'))
  const ca = makeCa(pkiDir, 'ca')
  const cert = makeLeaf(pkiDir, 'chat', ca, { usage: 'serverAuth', sans: serverSans })
  const caPem = readFileSync(ca.cert, 'utf8')
  const trusting = new Agent({ connect: { ca: caPem } })
  const profile = (name: string) =>
    options.profileDir === undefined
      ? []
      : ['--cpu-prof', '--cpu-prof-dir', options.profileDir, '--cpu-prof-name', `${name}.cpuprofile`]

  const started: ServerProcess[] = []
  const keep = <T extends ServerProcess>(server: T): T => {
    started.push(server)
    return server
  }
  try {
    const chatPort = await freePort()
    const chatOrigin = `https://127.0.0.1:${chatPort}`
    const chat = keep(
      await spawnServer({
        name: 'chat stand-in',
        args: [options.builds.chatStandIn],
        env: { PORT: String(chatPort), TLS_KEY_FILE: cert.key, TLS_CERT_FILE: cert.cert },
        readyPath: '/-/ready',
        port: chatPort,
        isReady: async () => {
          const { statusCode, body } = await request(`${chatOrigin}/-/ready`, { dispatcher: trusting })
          await body.dump()
          return statusCode === 200
        },
      }),
    )
    const egressPort = await freePort()
    const exporter = keep(
      await startExporter({
        entry: options.builds.exporter,
        sdkAppIds: SDKAPPID,
        nodeArgs: profile('meter'),
        env: {
          EGRESS_PORT: String(egressPort),
          CHAT_REST_URL: chatOrigin,
          CHAT_REST_CA_FILE: ca.cert,
        },
      }),
    )
    const floorPort = await freePort()
    const floor = keep(
      await spawnServer({
        name: 'egress floor',
        args: [...profile('egress-floor'), options.builds.egressFloor],
        env: { PORT: String(floorPort), UPSTREAM_URL: chatOrigin, CA_FILE: ca.cert },
        readyPath: '/-/ready',
        port: floorPort,
      }),
    )
    const nginx = keep(
      await startNginx({ upstreamPort: chatPort, caFile: ca.cert, upstreamName: 'localhost' }),
    )
    // The meter's process is the exporter's; its calls come to EGRESS_PORT.
    const meter = { ...exporter, url: `http://127.0.0.1:${egressPort}` }
    const targets: Record<EgressPath, Target> = {
      direct: { origin: chatOrigin, hop: undefined },
      meter: { origin: meter.url, hop: meter },
      floor: { origin: floor.url, hop: floor },
      nginx: { origin: nginx.url, hop: nginx },
    }
    const calls = restCalls()
    let answeredByMeter = 0

    // Every path must carry a call to Chat and its answer back unchanged before it is timed.
    const reference = await callOnce(chatOrigin, calls[0] as PreparedRequest, trusting)
    if (!reference.includes('"ActionStatus":"OK"')) throw new Error(`the Chat stand-in answered ${reference}`)
    for (const hop of HOPS) {
      const answer = await callOnce(targets[hop].origin, calls[0] as PreparedRequest)
      if (answer !== reference) {
        throw new Error(`${hop} answered ${JSON.stringify(answer)}, Chat ${JSON.stringify(reference)}`)
      }
    }
    answeredByMeter++

    const hopCpu = (path: EgressPath) => {
      const hop = targets[path].hop
      return hop === undefined ? undefined : treeCpuSeconds(hop.pid)
    }
    const runRound = async (path: EgressPath, seconds: number): Promise<EgressRound> => {
      const hopBefore = hopCpu(path)
      const chatBefore = cpuSeconds(chat.pid)
      const result: LoadResult = await runLoad({
        url: `${targets[path].origin}/`,
        requests: calls,
        connections: options.connections,
        durationSeconds: seconds,
        ...(path === 'direct' && { servername: 'localhost' }),
      })
      if (result.notOk > 0 || result.errors > 0) {
        throw new Error(
          `egress ${path}: ${result.notOk} answers other than 200 and ${result.errors} errors in a round (${result.firstErrors?.join('; ') ?? ''}):\n${targets[path].hop?.output() ?? chat.output()}`,
        )
      }
      if (path === 'meter') answeredByMeter += result.ok
      return {
        reqPerSec: Math.round(result.reqPerSec),
        p50Ms: round(result.p50Ms),
        p99Ms: round(result.p99Ms),
        maxMs: round(result.maxMs),
        clientCores: round(result.clientCores, 2),
        hopCpuMicros: optionalRound(perCall(hopBefore, hopCpu(path), result.ok)),
        chatCpuMicros: optionalRound(perCall(chatBefore, cpuSeconds(chat.pid), result.ok)),
      }
    }
    const runPacedRound = async (path: EgressPath): Promise<EgressPacedRound> => {
      const hopBefore = hopCpu(path)
      const result = await runPaced({
        origin: targets[path].origin,
        requests: calls,
        rate: options.rate,
        seconds: options.pacedSeconds,
        connections: options.connections,
        ...(path === 'direct' && { ca: caPem }),
      })
      if (result.notOk > 0)
        throw new Error(`egress ${path}: ${result.notOk} failed calls at ${options.rate}/s`)
      if (path === 'meter') answeredByMeter += result.ok
      return {
        p50Ms: round(result.p50Ms),
        p99Ms: round(result.p99Ms),
        hopCpuMicros: optionalRound(perCall(hopBefore, hopCpu(path), result.ok)),
      }
    }

    for (const path of EGRESS_PATHS) await runRound(path, options.warmupSeconds)
    const rounds = Object.fromEntries(EGRESS_PATHS.map((p) => [p, [] as EgressRound[]])) as Record<
      EgressPath,
      EgressRound[]
    >
    const paced = Object.fromEntries(EGRESS_PATHS.map((p) => [p, [] as EgressPacedRound[]])) as Record<
      EgressPath,
      EgressPacedRound[]
    >
    const order = (i: number) =>
      EGRESS_PATHS.map((_, k) => EGRESS_PATHS[(i + k) % EGRESS_PATHS.length] as EgressPath)
    for (let i = 0; i < options.rounds; i++) {
      for (const path of order(i)) {
        const r = await runRound(path, options.roundSeconds)
        rounds[path].push(r)
        options.log(
          `  round ${i + 1}/${options.rounds} ${path.padEnd(6)} ${r.reqPerSec} calls/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, hop ${r.hopCpuMicros?.toFixed(0) ?? '-'} µs CPU/call, Chat ${r.chatCpuMicros?.toFixed(0) ?? '-'} µs, client ${r.clientCores.toFixed(2)} cores`,
        )
      }
    }
    for (let i = 0; i < options.rounds; i++) {
      for (const path of order(i)) {
        const r = await runPacedRound(path)
        paced[path].push(r)
        options.log(
          `  paced ${i + 1}/${options.rounds} ${path.padEnd(6)} ${options.rate} calls/s: p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, hop ${r.hopCpuMicros?.toFixed(0) ?? '-'} µs CPU/call`,
        )
      }
    }

    // The meter measured every call it carried (a round's last calls may be cut by the client, but
    // Chat answered them, so the meter may count a few more than the client received).
    const { body } = await request(`${exporter.url}/metrics`)
    const counted = counterSum(await body.text(), 'tencent_chat_rest_requests_total')
    if (counted < answeredByMeter) {
      throw new Error(`the meter counted ${counted} calls, but ${answeredByMeter} were answered through it`)
    }

    const figures = (path: EgressPath): EgressPathFigures => {
      const list = rounds[path]
      const pacedList = paced[path]
      return {
        reqPerSec: Math.round(median(list.map((r) => r.reqPerSec))),
        p50Ms: round(median(list.map((r) => r.p50Ms))),
        p99Ms: round(median(list.map((r) => r.p99Ms))),
        clientCores: round(median(list.map((r) => r.clientCores)), 2),
        hopCpuMicros: optionalMedian(list.map((r) => r.hopCpuMicros)),
        chatCpuMicros: optionalMedian(list.map((r) => r.chatCpuMicros)),
        atRate: {
          p50Ms: round(median(pacedList.map((r) => r.p50Ms))),
          p99Ms: round(median(pacedList.map((r) => r.p99Ms))),
          hopCpuMicros: optionalMedian(pacedList.map((r) => r.hopCpuMicros)),
        },
        rounds: list,
        pacedRounds: pacedList,
      }
    }
    const paths = Object.fromEntries(EGRESS_PATHS.map((p) => [p, figures(p)])) as Record<
      EgressPath,
      EgressPathFigures
    >
    const added = (hop: Hop) => ({
      p50Ms: round(paths[hop].atRate.p50Ms - paths.direct.atRate.p50Ms),
      p99Ms: round(paths[hop].atRate.p99Ms - paths.direct.atRate.p99Ms),
    })
    const compare = (a: Hop, b: Hop) => ({
      reqPerSec: round(paths[a].reqPerSec / paths[b].reqPerSec, 2),
      cpu: ratio(paths[a].hopCpuMicros, paths[b].hopCpuMicros),
    })
    return {
      connections: options.connections,
      rounds: options.rounds,
      roundSeconds: options.roundSeconds,
      rate: options.rate,
      pacedSeconds: options.pacedSeconds,
      apis: CALLS.map((c) => c.api),
      nginxVersion,
      paths,
      addedAtRate: { meter: added('meter'), floor: added('floor'), nginx: added('nginx') },
      ratios: {
        meterToFloor: compare('meter', 'floor'),
        meterToNginx: compare('meter', 'nginx'),
        floorToNginx: compare('floor', 'nginx'),
      },
      meterCounts: { answered: answeredByMeter, counted },
    }
  } finally {
    for (const server of started.reverse()) await server.stop()
    await trusting.close()
    rmSync(pkiDir, { recursive: true, force: true })
  }
}

const optionalRound = (value: number | undefined) => (value === undefined ? undefined : round(value, 1))

/** One call's answer body, failing unless it is a 200. */
async function callOnce(origin: string, call: PreparedRequest, dispatcher?: Agent): Promise<string> {
  const { statusCode, body } = await request(`${origin}${call.path}`, {
    method: call.method,
    headers: call.headers,
    body: call.body,
    ...(dispatcher && { dispatcher }),
  })
  const answer = await body.text()
  if (statusCode !== 200) throw new Error(`${origin} answered ${statusCode}: ${answer}`)
  return answer
}
