import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseDockerfile } from '../docker/dockerfile.js'
import { PROJECT_ROOT } from '../startup/exporter-process.js'
import { runOnce } from './container.js'
import { baseImageOf, IMAGE, type ImageFacts, inspectImage, podman, requireImage } from './podman.js'

// What the image built from the Dockerfile holds, read from the image itself: its file system
// (mounted read-only by podman), each of its layers (podman save), and commands run in it.

const execFileAsync = promisify(execFile)

/** The image's growth over its base that BENCHMARKS.md reports: the compiled code and production dependencies. */
const SIZE_BUDGET_BYTES = 40_000_000

const lock = JSON.parse(await readFile(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { dev?: boolean }>
}
const dockerfile = parseDockerfile(await readFile(join(PROJECT_ROOT, 'Dockerfile'), 'utf8'))

let image: ImageFacts
let rootfs: string

beforeAll(async () => {
  image = await requireImage()
  rootfs = (await podman(['image', 'mount', IMAGE])).trim()
}, 120_000)

afterAll(async () => {
  if (rootfs) await podman(['image', 'unmount', IMAGE])
})

/** The installed package folders under a node_modules, as package-lock.json names them (nested ones too). */
async function installedPackages(app: string, dir = 'node_modules'): Promise<string[]> {
  const found: string[] = []
  for (const name of await readdir(join(app, dir))) {
    if (name.startsWith('.')) continue
    const names = name.startsWith('@')
      ? (await readdir(join(app, dir, name))).map((scoped) => `${name}/${scoped}`)
      : [name]
    for (const pkg of names) {
      const path = `${dir}/${pkg}`
      found.push(path)
      if (existsSync(join(app, path, 'node_modules')))
        found.push(...(await installedPackages(app, `${path}/node_modules`)))
    }
  }
  return found
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
}

describe('the image holds', () => {
  it('the compiled code, package.json and the lock file, and no sources, tests or .git', async () => {
    const app = join(rootfs, image.Config.WorkingDir ?? '/app')
    expect((await readdir(app)).sort()).toEqual(['dist', 'node_modules', 'package-lock.json', 'package.json'])
    expect(await readdir(join(app, 'dist'))).toEqual(['src'])
    const compiled = await filesUnder(join(app, 'dist/src'))
    expect(compiled).toContain('main.js')
    expect(compiled).toContain('healthcheck.js')
    // Source maps point at the sources (for stack traces) without carrying them.
    expect(compiled.filter((file) => !/\.js(\.map)?$/.test(file))).toEqual([])
    for (const map of compiled.filter((file) => file.endsWith('.map'))) {
      const parsed = JSON.parse(await readFile(join(app, 'dist/src', map), 'utf8')) as {
        sourcesContent?: unknown
      }
      expect(parsed.sourcesContent, map).toBeUndefined()
    }
    for (const path of ['src', 'test', '.git', 'tsconfig.json', 'node_modules/.bin/tsc'])
      expect(existsSync(join(app, path)), path).toBe(false)
    // npm's cache and debug logs of the build (paths, registry URLs) stay out.
    expect(existsSync(join(rootfs, 'root/.npm')), '/root/.npm').toBe(false)
    expect(await readFile(join(app, 'package-lock.json'), 'utf8')).toBe(
      await readFile(join(PROJECT_ROOT, 'package-lock.json'), 'utf8'),
    )
  })

  it("package-lock.json's production dependencies and none of its development ones", async () => {
    const app = join(rootfs, image.Config.WorkingDir ?? '/app')
    const installed = await installedPackages(app)
    const production = Object.keys(lock.packages).filter((path) => path !== '' && !lock.packages[path]?.dev)
    const development = Object.keys(lock.packages).filter((path) => lock.packages[path]?.dev)
    expect(development.length).toBeGreaterThan(0)
    expect(installed.filter((path) => development.includes(path))).toEqual([])
    expect(installed.filter((path) => !production.includes(path))).toEqual([])
    expect(installed.length).toBeGreaterThan(0)
  })

  it('dependencies that `npm ls --omit=dev` finds complete and as locked', async () => {
    const ls = await runOnce(['npm', 'ls', '--omit=dev', '--all'])
    expect(ls.code, ls.stdout + ls.stderr).toBe(0)
    expect(ls.stdout).toMatch(/^tencent-chat-exporter@/)
    expect(ls.stdout).not.toMatch(/extraneous|missing|invalid|UNMET/)
  })

  it("bcrypt's prebuilt binary, which loads without an install script having run", async () => {
    const script = [
      "const path = require('node:path')",
      "const bcrypt = require('bcrypt')",
      "const hash = bcrypt.hashSync('image-password', 4)",
      "const dir = path.dirname(require.resolve('bcrypt/package.json'))",
      "console.log(JSON.stringify({ matches: bcrypt.compareSync('image-password', hash), binary: path.relative(dir, require('node-gyp-build').path(dir)) }))",
    ].join('\n')
    const run = await runOnce(['node', '-e', script])
    expect(run.code, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({
      matches: true,
      binary: expect.stringMatching(/^prebuilds\/linux-x64\//),
    })
  })

  it('no npm configuration and no certificate, in any of its layers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tce-image-layers-'))
    try {
      await podman(['save', '--format', 'docker-dir', '--output', join(dir, 'image'), IMAGE])
      const manifest = JSON.parse(await readFile(join(dir, 'image/manifest.json'), 'utf8')) as {
        layers: Array<{ digest: string }>
      }
      // The certificates the build trusted (this machine's bundle, mounted for the build only) that the
      // image's Node.js does not carry compiled in: none may be found in a layer, under any name.
      const bundlePath = await hostCaBundle()
      const bundle = existsSync(bundlePath) ? await readFile(bundlePath, 'utf8') : ''
      const builtIn = JSON.parse(
        (await runOnce(['node', '-p', "JSON.stringify(require('tls').rootCertificates)"])).stdout,
      ) as string[]
      const body = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '')
      const carried = new Set(builtIn.map(body))
      const foreign = (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [])
        .filter((pem) => !carried.has(body(pem)))
        // A line from the middle of each: as certificate files and bundles wrap them.
        .map((pem) => pem.split('\n')[3]?.trim() ?? '')
        .filter((line) => line.length === 64)
      const patterns = join(dir, 'patterns')
      await writeFile(patterns, foreign.join('\n'))

      expect(manifest.layers.length).toBeGreaterThan(1)
      for (const { digest } of manifest.layers) {
        const layer = join(dir, 'image', digest.replace(/^sha256:/, ''))
        const names = (await execFileAsync('tar', ['-tf', layer], { maxBuffer: 256 * 1024 * 1024 })).stdout
          .split('\n')
          .filter(Boolean)
        expect(names.length, digest).toBeGreaterThan(0)
        const suspicious = names.filter((name) =>
          /(^|\/)\.?npmrc$|\.(pem|crt|cer|der|p12|pfx|key)$|ca-certificates/.test(name),
        )
        expect(suspicious, `files in layer ${digest}`).toEqual([])
        if (foreign.length > 0) {
          const matches = await execFileAsync(
            'sh',
            ['-c', 'tar -xOf "$1" | grep -a -F -c -f "$2" || true', 'sh', layer, patterns],
            {
              maxBuffer: 1024 * 1024,
            },
          )
          expect(Number(matches.stdout.trim()), `certificates of this machine in layer ${digest}`).toBe(0)
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})

describe('the image size', () => {
  it(`stays within its budget: ${SIZE_BUDGET_BYTES / 1e6} MB above its base`, async () => {
    const from = dockerfile.stages.at(-1)?.image ?? ''
    const base = await inspectImage(baseImageOf(from))
    const growth = image.Size - base.Size
    expect(growth).toBeGreaterThan(0)
    expect(growth, `${(growth / 1e6).toFixed(1)} MB above ${from}`).toBeLessThanOrEqual(SIZE_BUDGET_BYTES)
  })
})

/** The certificate bundle scripts/build-image.sh gives the build: npm's cafile here, else Debian's bundle. */
async function hostCaBundle(): Promise<string> {
  const { stdout } = await execFileAsync('npm', ['config', 'get', 'cafile'], { cwd: PROJECT_ROOT })
  const cafile = stdout.trim()
  return cafile && cafile !== 'null' && cafile !== 'undefined' ? cafile : '/etc/ssl/certs/ca-certificates.crt'
}
