import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/config.js'
import { PROJECT_ROOT } from '../startup/exporter-process.js'
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

// What the Dockerfile says, read without building it: the checks that hold for every build of it.
// scripts/build-image.sh builds it, and test/image runs the image.

const dockerfileText = await readFile(join(PROJECT_ROOT, 'Dockerfile'), 'utf8')
const dockerignore = await readFile(join(PROJECT_ROOT, '.dockerignore'), 'utf8')
const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  name: string
  main: string
  license: string
  engines: { node: string }
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
