import { execFile } from 'node:child_process'
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, isAbsolute, join, posix } from 'node:path'
import { promisify } from 'node:util'
import bcrypt from 'bcrypt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/config.js'
import { OK_ANSWER } from '../../src/protocol/answers.js'
import { alertBody, callbackUrl, postCallback, SDKAPPID, sampleValue } from '../helpers/callbacks.js'
import { makePki } from '../security/support/pki.js'
import { tlsRequest } from '../security/support/tls-client.js'
import { type ExporterProcess, PROJECT_ROOT, spawnExporter } from '../startup/exporter-process.js'
import {
  execForm,
  type Instruction,
  instructionsOf,
  keyValues,
  parseCopy,
  parseDockerfile,
  parseHealthcheck,
  type Stage,
} from './dockerfile.js'

// Docker cannot build here (no engine), so this test reads the Dockerfile and replays its steps on
// the host: the build stage's build, then the runtime stage's `npm ci --omit=dev` into an empty
// folder, then the image's own CMD and HEALTHCHECK. It catches runtime code that lives in
// devDependencies, files the image forgets to copy, and a lock file that `npm ci` refuses.

const execFileAsync = promisify(execFile)
const dockerfileText = await readFile(join(PROJECT_ROOT, 'Dockerfile'), 'utf8')
const dockerignore = await readFile(join(PROJECT_ROOT, '.dockerignore'), 'utf8')
const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  name: string
  version: string
  main: string
  license: string
  engines: { node: string }
  devDependencies: Record<string, string>
}
const dockerfile = parseDockerfile(dockerfileText)
const buildStage = dockerfile.stages[0] as Stage
const runtimeStage = dockerfile.stages.at(-1) as Stage
const last = (stage: Stage, keyword: string) => instructionsOf(stage, keyword).at(-1)

function envOf(stage: Stage): Record<string, string> {
  return Object.fromEntries(instructionsOf(stage, 'ENV').flatMap((env) => keyValues(env.args)))
}

describe('Dockerfile', () => {
  it('is multi-stage: a named build stage and a separate runtime stage', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2)
    expect(buildStage.name).toBeTruthy()
    const runs = instructionsOf(buildStage, 'RUN').map((run) => run.args)
    expect(runs.some((run) => /\bnpm ci\b/.test(run))).toBe(true)
    expect(runs.some((run) => /\bnpm run build\b/.test(run))).toBe(true)
  })

  it('builds and runs on one pinned major of the official Node.js image, no older than engines.node', () => {
    const minimum = Number(/(\d+)/.exec(pkg.engines.node)?.[1])
    for (const stage of dockerfile.stages) {
      const match = /^node:(\d+)(-[a-z0-9]+)*(@sha256:[0-9a-f]{64})?$/.exec(stage.image)
      expect(match, `FROM ${stage.image} must pin a Node.js major such as node:24-slim`).not.toBeNull()
      expect(Number(match?.[1])).toBeGreaterThanOrEqual(minimum)
    }
    expect(runtimeStage.image).toBe(buildStage.image)
  })

  it('runs as uid and gid 65534, exposes the default port, sets NODE_ENV=production', () => {
    expect(last(runtimeStage, 'USER')?.args).toBe('65534:65534')
    expect(last(runtimeStage, 'EXPOSE')?.args.split(/\s+/)).toContain(String(loadConfig({}).port))
    expect(envOf(runtimeStage).NODE_ENV).toBe('production')
  })

  it("starts package.json's main with an exec-form CMD, so that SIGTERM reaches node", () => {
    expect(instructionsOf(runtimeStage, 'ENTRYPOINT')).toEqual([])
    expect(execForm(last(runtimeStage, 'CMD')?.args ?? '')).toEqual(['node', pkg.main])
  })

  it('bakes in no secret: no ENV or ARG about tokens, secrets or passwords', () => {
    const all: Instruction[] = [
      ...dockerfile.preamble,
      ...dockerfile.stages.flatMap((stage) => stage.instructions),
    ]
    const variables = all
      .filter((instruction) => instruction.keyword === 'ENV' || instruction.keyword === 'ARG')
      .flatMap((instruction) => keyValues(instruction.args).flat())
    expect(variables.length).toBeGreaterThan(0)
    for (const text of variables) expect(text).not.toMatch(/token|secret|passw|api[_-]?key|credential/i)
  })

  it('ships production dependencies only: the build stage gives nothing but the compiled code', () => {
    const fromBuild = instructionsOf(runtimeStage, 'COPY')
      .map((copy) => parseCopy(copy.args))
      .filter((copy) => copy.from !== undefined)
    expect(fromBuild.length).toBeGreaterThan(0)
    for (const copy of fromBuild) {
      expect(copy.from).toBe(buildStage.name)
      for (const source of copy.sources) expect(source).toMatch(/\/dist\/src\/?$/)
    }
    const installs = instructionsOf(runtimeStage, 'RUN').filter((run) => /\bnpm ci\b/.test(run.args))
    expect(installs).toHaveLength(1)
    expect(installs[0]?.args).toContain('--omit=dev')
  })

  it('has OCI labels that agree with package.json', () => {
    const labels = Object.fromEntries(
      instructionsOf(runtimeStage, 'LABEL').flatMap((label) => keyValues(label.args)),
    )
    expect(labels['org.opencontainers.image.title']).toBe(pkg.name)
    expect(labels['org.opencontainers.image.licenses']).toBe(pkg.license)
    expect(labels['org.opencontainers.image.description']).toBeTruthy()
  })

  it('checks health with node itself (the slim image has no curl)', () => {
    const healthcheck = parseHealthcheck(last(runtimeStage, 'HEALTHCHECK')?.args ?? '')
    expect(healthcheck.command?.[0]).toBe('node')
  })

  it('.dockerignore is an allow-list that lets in exactly what the Dockerfile copies from the context', () => {
    const patterns = dockerignore
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
    expect(patterns[0]).toBe('*')
    const allowed = patterns
      .filter((pattern) => pattern.startsWith('!'))
      .map((pattern) => pattern.slice(1).replace(/\/$/, ''))
    const copied = dockerfile.stages
      .flatMap((stage) => instructionsOf(stage, 'COPY'))
      .map((copy) => parseCopy(copy.args))
      .filter((copy) => copy.from === undefined)
      .flatMap((copy) => copy.sources.map((source) => source.replace(/^\.\//, '').replace(/\/$/, '')))
    expect([...new Set(copied)].sort()).toEqual([...new Set(allowed)].sort())
  })
})

/** A stage replayed into a host folder that stands for the stage's WORKDIR. */
interface ReplayedStage {
  dir: string
  workdir: string
}

/** Maps a path inside the stage's file system to the host folder; only paths under WORKDIR exist. */
function hostPath(stage: ReplayedStage, path: string): string {
  const inside = posix.isAbsolute(path) ? posix.relative(stage.workdir, path) : path
  if (inside.startsWith('..') || isAbsolute(inside))
    throw new Error(`cannot replay a path outside WORKDIR: ${path}`)
  return join(stage.dir, inside)
}

async function run(command: string, args: string[], cwd: string, env: Record<string, string>): Promise<void> {
  try {
    await execFileAsync(command, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir(), ...env },
      timeout: 100_000,
      maxBuffer: 16 * 1024 * 1024,
    })
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string }
    throw new Error(`\`${[command, ...args].join(' ')}\` failed in the replayed image:\n${stderr}\n${stdout}`)
  }
}

/**
 * Replays one stage's instructions. The build stage's full `npm ci` is stood in for by the project's
 * own node_modules (installed by `npm ci` from the same lock file); the runtime stage's
 * `npm ci --omit=dev` really runs; `npm cache clean` is skipped (it would empty this machine's cache).
 */
async function replayStage(
  stage: Stage,
  dir: string,
  stages: Map<string, ReplayedStage>,
): Promise<ReplayedStage> {
  const replayed: ReplayedStage = { dir, workdir: '/' }
  const env: Record<string, string> = {}
  for (const instruction of stage.instructions) {
    switch (instruction.keyword) {
      case 'WORKDIR':
        replayed.workdir = posix.resolve(replayed.workdir, instruction.args)
        break
      case 'ENV':
        Object.assign(env, Object.fromEntries(keyValues(instruction.args)))
        break
      case 'COPY': {
        const copy = parseCopy(instruction.args)
        const from = copy.from === undefined ? undefined : stages.get(copy.from)
        if (copy.from !== undefined && !from)
          throw new Error(`COPY --from=${copy.from}: no such stage replayed`)
        const destination = hostPath(replayed, copy.destination)
        for (const source of copy.sources) {
          const path = from ? hostPath(from, source) : join(PROJECT_ROOT, source)
          const isDirectory = (await stat(path)).isDirectory()
          // Docker copies a directory's contents into the destination, and a file into a destination ending in '/'.
          const target =
            isDirectory || !/\/$|^\.$/.test(copy.destination)
              ? destination
              : join(destination, basename(source))
          await mkdir(isDirectory ? target : join(target, '..'), { recursive: true })
          await cp(path, target, { recursive: true })
        }
        break
      }
      case 'RUN':
        for (const step of instruction.args.split('&&').map((part) => part.trim())) {
          const cwd = hostPath(replayed, '.')
          if (/^npm ci\b/.test(step) && !step.includes('--omit=dev')) {
            await symlink(join(PROJECT_ROOT, 'node_modules'), join(cwd, 'node_modules'), 'dir')
          } else if (/^npm cache clean\b/.test(step)) {
            // Skipped on purpose: see above.
          } else if (/^npm ci\b/.test(step)) {
            await run('sh', ['-c', `${step} --prefer-offline`], cwd, env)
          } else {
            await run('sh', ['-c', step], cwd, env)
          }
        }
        break
      case 'LABEL':
      case 'USER':
      case 'EXPOSE':
      case 'HEALTHCHECK':
      case 'CMD':
        // Checked above, or used when the image is started below.
        break
      default:
        throw new Error(
          `line ${instruction.line}: ${instruction.keyword} is not replayed; teach this test about it`,
        )
    }
  }
  return replayed
}

describe('the image, replayed without Docker', { timeout: 60_000 }, () => {
  let root: string
  let runtime: ReplayedStage
  let exporter: ExporterProcess | undefined
  let base: string
  const runAs = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined
  const imageEnv = envOf(runtimeStage)

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tce-image-'))
    // mkdtemp makes the folder private; the image's user (uid 65534) must be able to read the app.
    await chmod(root, 0o755)
    const stages = new Map<string, ReplayedStage>()
    for (const [index, stage] of dockerfile.stages.entries()) {
      const dir = join(root, stage.name ?? `stage-${index}`)
      await mkdir(dir, { recursive: true, mode: 0o755 })
      const replayed = await replayStage(stage, dir, stages)
      stages.set(stage.name ?? String(index), replayed)
      runtime = replayed
    }
    const command = execForm(last(runtimeStage, 'CMD')?.args ?? '') ?? []
    exporter = spawnExporter(command, {
      cwd: runtime.dir,
      env: { ...imageEnv, SDKAPPIDS: SDKAPPID },
      user: runAs,
    })
    base = `http://127.0.0.1:${await exporter.listening()}`
  }, 150_000)

  afterAll(async () => {
    await exporter?.kill()
    if (root) await rm(root, { recursive: true, force: true })
  })

  it('holds production dependencies only', async () => {
    const installed = new Set(await readdir(join(runtime.dir, 'node_modules')))
    for (const scoped of [...installed].filter((name) => name.startsWith('@'))) {
      for (const name of await readdir(join(runtime.dir, 'node_modules', scoped)))
        installed.add(`${scoped}/${name}`)
    }
    const devOnly = Object.keys(pkg.devDependencies).filter((name) => installed.has(name))
    expect(devOnly).toEqual([])
  })

  it('serves /-/ready and /metrics with build_info from the shipped package.json', async () => {
    expect((await fetch(`${base}/-/ready`)).status).toBe(200)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(
      sampleValue(metrics, 'tencent_chat_exporter_build_info', {
        version: pkg.version,
        nodejs_version: process.version,
      }),
    ).toBe(1)
  })

  it('handles a callback end to end (the code path a scrape alone does not load)', async () => {
    const answer = await postCallback(callbackUrl(base), alertBody())
    expect(answer).toMatchObject({ status: 200, text: OK_ANSWER })
    const rejected = await postCallback(callbackUrl(base), '{not json')
    expect(rejected.status).toBe(400)
    const metrics = await (await fetch(`${base}/metrics`)).text()
    expect(
      sampleValue(metrics, 'tencent_chat_api_requests_per_second', {
        sdkappid: SDKAPPID,
        service_name: 'openim',
        command: 'batchsendmsg',
      }),
    ).toBe(510)
  })

  it('serves TLS and basic auth from WEB_CONFIG_FILE: bcrypt loads without install scripts, the HEALTHCHECK speaks HTTPS', async () => {
    const pki = makePki()
    const secured = await mkdtemp(join(tmpdir(), 'tce-image-web-'))
    let tlsExporter: ExporterProcess | undefined
    try {
      // The image's user must read the files, as from a mounted Secret.
      await chmod(secured, 0o755)
      await chmod(pki.dir, 0o755)
      for (const file of [pki.server.cert, pki.server.key]) await chmod(file, 0o644)
      const hash = await bcrypt.hash('image-password', 4)
      const webConfig = join(secured, 'web-config.yml')
      await writeFile(
        webConfig,
        `tls_server_config:\n  cert_file: ${pki.server.cert}\n  key_file: ${pki.server.key}\nbasic_auth_users:\n  prometheus: ${JSON.stringify(hash)}\n`,
        { mode: 0o644 },
      )
      const command = execForm(last(runtimeStage, 'CMD')?.args ?? '') ?? []
      tlsExporter = spawnExporter(command, {
        cwd: runtime.dir,
        env: { ...imageEnv, SDKAPPIDS: SDKAPPID, WEB_CONFIG_FILE: webConfig },
        user: runAs,
      })
      const port = await tlsExporter.listening()
      const url = `https://127.0.0.1:${port}/metrics`
      expect((await tlsRequest(url, { ca: pki.ca.cert })).status).toBe(401)
      const scrape = await tlsRequest(url, { ca: pki.ca.cert, auth: 'prometheus:image-password' })
      expect(scrape.status).toBe(200)
      expect(scrape.body).toContain('tencent_chat_exporter_build_info')

      const healthcheck = parseHealthcheck(last(runtimeStage, 'HEALTHCHECK')?.args ?? '').command ?? []
      const [file = '', ...args] = healthcheck
      const check = (extra: Record<string, string>) =>
        execFileAsync(file, args, {
          cwd: runtime.dir,
          env: {
            ...imageEnv,
            PATH: process.env.PATH,
            PORT: String(port),
            WEB_CONFIG_FILE: webConfig,
            ...extra,
          },
          timeout: 10_000,
        }).then(
          () => ({ code: 0, stderr: '' }),
          (error: { code?: number; stderr?: string }) => ({
            code: error.code ?? -1,
            stderr: error.stderr ?? '',
          }),
        )
      expect(await check({})).toEqual({ code: 0, stderr: '' })
      // With METRICS_PORT the web configuration is the metrics listener's: the check stays plain HTTP,
      // and here that meets a TLS listener, so it must fail and say why.
      const plain = await check({ METRICS_PORT: '9464' })
      expect(plain.code).toBe(1)
      expect(plain.stderr).toMatch(/^unhealthy: http:\/\/127\.0\.0\.1:\d+\/-\/healthy/)
    } finally {
      await tlsExporter?.kill()
      pki.remove()
      await rm(secured, { recursive: true, force: true })
    }
  })

  it('passes its own HEALTHCHECK, stops with exit 0 on SIGTERM, then fails the HEALTHCHECK', async () => {
    const healthcheck = parseHealthcheck(last(runtimeStage, 'HEALTHCHECK')?.args ?? '').command ?? []
    const [file = '', ...args] = healthcheck
    const port = new URL(base).port
    const check = () =>
      execFileAsync(file, args, {
        cwd: runtime.dir,
        env: { ...imageEnv, PATH: process.env.PATH, PORT: port },
        timeout: 10_000,
      }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      )
    expect(await check()).toBe(0)
    exporter?.child.kill('SIGTERM')
    expect(await exporter?.exited).toEqual({ code: 0, signal: null })
    expect(await check()).not.toBe(0)
  })
})
