import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { stringify } from 'yaml'
import { CHART_DIR } from '../../scripts/chart-values.js'
import { findTool } from '../helpers/tools.js'
import { type KubeObject, parseObjects, REPO_ROOT } from './kustomize.js'

const run = promisify(execFile)

export const CHART_PATH = join(REPO_ROOT, CHART_DIR)
export const RELEASE = 'chat-alarms'
export const NAMESPACE = 'chat'

/** The chart's ci/*-values.yaml files: the matrix of values that the tests render (chart-testing's convention). */
export function ciValuesFiles(): string[] {
  return readdirSync(join(CHART_PATH, 'ci'))
    .filter((name) => name.endsWith('-values.yaml'))
    .sort()
}

export interface HelmResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs helm with HOME and its caches in a throw-away place, so that nothing on the machine leaks in. */
export async function helm(args: string[]): Promise<HelmResult> {
  try {
    const { stdout, stderr } = await run(findTool('helm'), args, {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        HOME: '/nonexistent',
        HELM_CACHE_HOME: '/tmp/tce-helm/cache',
        HELM_CONFIG_HOME: '/tmp/tce-helm/config',
        HELM_DATA_HOME: '/tmp/tce-helm/data',
      },
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string }
    if (typeof failed.code !== 'number') throw error
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
  }
}

/** Values for `helm template`: a ci/ file by name, or values written out as YAML. */
export type Values = { file: string } | { values: Record<string, unknown> }

/** Renders the chart, returning helm's exit code and output whether or not it succeeded. */
export async function helmTemplateResult(...values: Values[]): Promise<HelmResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tce-helm-values-'))
  try {
    const args = ['template', RELEASE, CHART_PATH, '--namespace', NAMESPACE]
    for (const [index, v] of values.entries()) {
      if ('file' in v) args.push('--values', join(CHART_PATH, 'ci', v.file))
      else {
        const path = join(dir, `values-${index}.yaml`)
        writeFileSync(path, stringify(v.values))
        args.push('--values', path)
      }
    }
    return await helm(args)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Renders the chart as `helm template` does, and fails when helm does. */
export async function helmTemplate(...values: Values[]): Promise<KubeObject[]> {
  const result = await helmTemplateResult(...values)
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`)
  return parseObjects(result.stdout)
}
