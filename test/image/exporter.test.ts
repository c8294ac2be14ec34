import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OK_ANSWER } from '../../src/protocol/answers.js'
import { parseDockerfile } from '../docker/dockerfile.js'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue, TOKEN } from '../helpers/callbacks.js'
import { PROJECT_ROOT } from '../startup/exporter-process.js'
import { type Container, containersOfThisFile } from './container.js'
import { type ImageFacts, requireImage } from './podman.js'

// The image built from the Dockerfile, started as the Kubernetes manifests run it: read-only root file
// system, every capability dropped, no privilege gain, the token mounted from a folder.

const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }
const dockerfile = parseDockerfile(await readFile(join(PROJECT_ROOT, 'Dockerfile'), 'utf8'))
const declaredUser = dockerfile.stages
  .at(-1)
  ?.instructions.filter((i) => i.keyword === 'USER')
  .at(-1)?.args

const containers = containersOfThisFile()
let image: ImageFacts
let exporter: Container
let secrets: string

beforeAll(async () => {
  image = await requireImage()
  secrets = await mkdtemp(join(tmpdir(), 'tce-image-token-'))
  // The image's user reads the mounted folder, as it reads a Secret volume.
  await chmod(secrets, 0o755)
  await writeFile(join(secrets, 'token'), `${TOKEN}\n`, { mode: 0o444 })
  exporter = await containers.start({
    env: {
      SDKAPPIDS: SDKAPPID,
      CALLBACK_TOKEN_FILE: '/etc/tencent-chat-exporter/token/token',
      // Longer than the test needs: the in-flight callback below finishes well before.
      SHUTDOWN_TIMEOUT_SECONDS: '60',
    },
    mounts: [{ source: secrets, target: '/etc/tencent-chat-exporter/token' }],
  })
}, 120_000)

afterAll(async () => {
  if (secrets) await rm(secrets, { recursive: true, force: true })
})

describe('the image, started read-only without capabilities', () => {
  it('answers the probes on /-/healthy and /-/ready', async () => {
    for (const path of ['/-/healthy', '/-/ready']) {
      expect((await fetch(exporter.url(path))).status, path).toBe(200)
    }
  })

  it('turns a signed callback into metrics, refuses an unsigned one, and reports its build', async () => {
    const answer = await postCallback(callbackUrl(exporter.url(''), { token: TOKEN }), alertBody())
    expect(answer).toMatchObject({ status: 200, text: OK_ANSWER })
    expect((await postCallback(callbackUrl(exporter.url('')), alertBody())).status).toBe(401)
    const metrics = await (await fetch(exporter.url('/metrics'))).text()
    const labels = { sdkappid: SDKAPPID, service_name: 'openim', command: 'batchsendmsg' }
    expect(sampleValue(metrics, 'tencent_chat_api_requests_per_second', labels)).toBe(510)
    const nodeVersion = image.Config.Env?.find((env) => env.startsWith('NODE_VERSION='))?.split('=')[1]
    expect(nodeVersion).toMatch(/^\d+\.\d+\.\d+$/)
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_build_info', {
        version: pkg.version,
        nodejs_version: `v${nodeVersion}`,
      }),
    ).toBe(1)
  })

  it("runs node as PID 1, as the Dockerfile's non-root user, without capabilities or a way to gain privileges", async () => {
    expect(declaredUser).toMatch(/^[1-9]\d*:[1-9]\d*$/)
    const [uid, gid] = (declaredUser ?? '').split(':')
    const status = await exporter.exec(['cat', '/proc/1/status'])
    expect(status.code).toBe(0)
    const field = (name: string) =>
      new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status.stdout)?.[1]?.split(/\s+/)
    expect(field('Uid')).toEqual([uid, uid, uid, uid])
    expect(field('Gid')).toEqual([gid, gid, gid, gid])
    for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
      expect(field(set), set).toEqual(['0000000000000000'])
    expect(field('NoNewPrivs')).toEqual(['1'])
    const cmdline = await exporter.exec(['cat', '/proc/1/cmdline'])
    expect(cmdline.stdout.split('\0').filter(Boolean)).toEqual(image.Config.Cmd)
    const write = await exporter.exec(['touch', '/app/written'])
    expect(write.code).not.toBe(0)
    expect(write.stderr).toContain('Read-only file system')
  })

  it('passes its HEALTHCHECK, and fails it while the exporter cannot answer', async () => {
    expect(await exporter.checkHealth()).toEqual({ code: 0, output: '', status: 'healthy' })

    // A hung process: stopped, its listening socket still accepts connections but nothing answers.
    await exporter.signal('SIGSTOP')
    try {
      // Failures in the start period do not count; after it, `retries` failures in a row make it unhealthy.
      // Each failed check waits for the check's own timeout, so a bounded number of checks suffices.
      const outcomes: number[] = []
      while ((await exporter.health()) !== 'unhealthy' && outcomes.length < 20)
        outcomes.push((await exporter.healthcheck()).code)
      expect(await exporter.health()).toBe('unhealthy')
      expect(outcomes.every((code) => code !== 0)).toBe(true)
      expect(outcomes.length).toBeGreaterThanOrEqual(image.Healthcheck?.Retries ?? 1)
    } finally {
      await exporter.signal('SIGCONT')
    }
    expect(await exporter.checkHealth()).toEqual({ code: 0, output: '', status: 'healthy' })
  }, 120_000)

  // Last: it stops the container.
  it('exits 0 on SIGTERM within the grace period, after answering the callback in flight', async () => {
    const socket = connect(exporter.hostPort(), '127.0.0.1')
    const received = collect(socket)
    const body = alertBody({ Command: 'sendmsg', Request: 180 })
    const path = callbackUrl('', { token: TOKEN })
    // `Expect: 100-continue`: the exporter's "100 Continue" shows it has the request, and waits for its body.
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
    )
    await received.until((text) => text.startsWith('HTTP/1.1 100 Continue\r\n\r\n'))

    const graceSeconds = 90
    const stopped = exporter.stop(graceSeconds)
    await exporter.waitForLog((entry) => entry.signal === 'SIGTERM', 'its shutdown line')
    socket.write(body)
    const answer = await received.closed
    expect(answer).toMatch(/\r\n\r\nHTTP\/1\.1 200 OK\r\n/)
    expect(answer.slice(answer.lastIndexOf('\r\n\r\n') + 4)).toBe(OK_ANSWER)
    // `podman stop` kills what is still running after the grace period (exit 137): 0 is an exit in time.
    expect(await stopped).toBe(0)
    expect(exporter.logs.some((entry) => entry.msg === 'stopped')).toBe(true)
  }, 150_000)
})

/** Collects what a socket receives: `until` waits for a prefix to arrive, `closed` for the whole of it. */
function collect(socket: Socket): {
  until(done: (text: string) => boolean): Promise<void>
  closed: Promise<string>
} {
  let text = ''
  const checks = new Set<() => void>()
  socket.setEncoding('utf8')
  socket.on('data', (chunk: string) => {
    text += chunk
    for (const check of checks) check()
  })
  const closed = new Promise<string>((resolve, reject) => {
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
  })
  return {
    until: (done) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!done(text)) return
          checks.delete(check)
          resolve()
        }
        checks.add(check)
        check()
        closed.then(() => reject(new Error(`connection closed before the expected answer:\n${text}`)), reject)
      }),
    closed,
  }
}
