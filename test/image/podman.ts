import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { PROJECT_ROOT } from '../startup/exporter-process.js'

// The project's image as scripts/build-image.sh builds it from the Dockerfile, and podman as that
// script runs it (root's storage, scripts/image/containers.conf).

/** The command that builds the image, as a failing test tells the developer to run it. */
export const BUILD_COMMAND = 'sudo bash scripts/build-image.sh'

/** The tag scripts/build-image.sh gives the image (scripts/image/image.env). */
export const IMAGE = (() => {
  const match = /^IMAGE=(.+)$/m.exec(readFileSync(join(PROJECT_ROOT, 'scripts/image/image.env'), 'utf8'))
  if (!match?.[1]) throw new Error('scripts/image/image.env has no IMAGE= line')
  return match[1].trim()
})()

const CONTAINERS_CONF = join(PROJECT_ROOT, 'scripts/image/containers.conf')

/** The environment podman runs with: the project's containers.conf, nothing else from the caller's. */
export const PODMAN_ENV = {
  PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: process.env.HOME ?? '/root',
  CONTAINERS_CONF,
}

export interface PodmanResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs podman and resolves with its exit code and output, whatever the code. */
export function podmanResult(args: string[], timeoutMs = 120_000): Promise<PodmanResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'podman',
      args,
      { env: PODMAN_ENV, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code
        if (error && typeof code !== 'number') {
          reject(
            code === 'ENOENT'
              ? new Error(`podman is not installed: build the image with \`${BUILD_COMMAND}\``)
              : error,
          )
          return
        }
        resolve({ code: typeof code === 'number' ? code : 0, stdout, stderr })
      },
    )
  })
}

/** Runs podman and resolves with its standard output; rejects, with the command and its errors, unless it exits 0. */
export async function podman(args: string[], timeoutMs?: number): Promise<string> {
  const result = await podmanResult(args, timeoutMs)
  if (result.code !== 0)
    throw new Error(`\`podman ${args.join(' ')}\` exited ${result.code}:\n${result.stderr}${result.stdout}`)
  return result.stdout
}

/**
 * A digest of what the image is built from: the Dockerfile, .dockerignore and the files its allow-list
 * lets into the build context, as scripts/build-image.sh computes it (`sha256sum` lines, sorted by
 * path, then their sha256).
 */
export function contextDigest(): string {
  const allowed = readFileSync(join(PROJECT_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('!'))
    .map((line) => line.slice(1).replace(/\/+$/, ''))
  const files: string[] = []
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path)) walk(join(path, name))
    else files.push(relative(PROJECT_ROOT, path))
  }
  for (const path of ['Dockerfile', '.dockerignore', ...allowed]) walk(join(PROJECT_ROOT, path))
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')
  const lines = files.map((file) => `${sha256(readFileSync(join(PROJECT_ROOT, file)))}  ${file}\n`).join('')
  return sha256(lines)
}

/** What `podman image inspect` says about an image (the fields the tests read). */
export interface ImageFacts {
  Id: string
  Size: number
  Config: {
    User?: string
    Env?: string[]
    Entrypoint?: string[]
    Cmd?: string[]
    WorkingDir?: string
    ExposedPorts?: Record<string, unknown>
    Labels?: Record<string, string>
  }
  /** Durations in nanoseconds. */
  Healthcheck?: { Test: string[]; Interval: number; Timeout: number; StartPeriod: number; Retries: number }
}

export async function inspectImage(image: string): Promise<ImageFacts> {
  const [facts] = JSON.parse(await podman(['image', 'inspect', image])) as ImageFacts[]
  if (!facts) throw new Error(`podman image inspect ${image} returned nothing`)
  return facts
}

/**
 * The project's image, checked to be there and built from the working tree as it is: a test run
 * against a missing or stale image fails here, saying how to build it, rather than skip.
 */
export async function requireImage(): Promise<ImageFacts> {
  if (process.getuid?.() !== 0)
    throw new Error(
      `the image tests run podman as root, whose storage holds the image: run them as root, after \`${BUILD_COMMAND}\``,
    )
  const exists = await podmanResult(['image', 'exists', IMAGE])
  if (exists.code !== 0)
    throw new Error(`the image ${IMAGE} is not built: run \`${BUILD_COMMAND}\` (as root) first`)
  const facts = await inspectImage(IMAGE)
  const built = facts.Config.Labels?.['tencent-chat-exporter.context-digest']
  if (built !== contextDigest())
    throw new Error(
      `the image ${IMAGE} was built from other sources than the working tree's: run \`${BUILD_COMMAND}\` again`,
    )
  return facts
}

/** The base image the Dockerfile starts FROM, as scripts/build-image.sh tags it. */
export function baseImageOf(from: string): string {
  return from.includes('/') ? from : `docker.io/library/${from}`
}
