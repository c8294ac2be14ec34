import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import { parse, parseAllDocuments } from 'yaml'
import { findTool } from '../helpers/tools.js'

const run = promisify(execFile)

export const REPO_ROOT = new URL('../../', import.meta.url).pathname
export const KUBERNETES_DIR = join(REPO_ROOT, 'deploy/kubernetes')

/** A rendered Kubernetes object, kept as plain data. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  // biome-ignore lint/suspicious/noExplicitAny: rendered YAML, checked field by field by the tests
  spec?: any
  data?: Record<string, string>
  /** A Secret's type. */
  type?: string
}

/** The examples under deploy/kubernetes that a user copies: each renders a Pod with the exporter. */
export const EXAMPLES = [
  'examples/sidecar',
  'examples/service-monitor',
  'examples/proxy-mode',
  'examples/native-sidecar',
  'examples/metrics-tls',
  'examples/rest-meter',
]

/** Every directory under deploy/kubernetes that holds a kustomization.yaml, relative to it. */
function findKustomizationFiles(dir = KUBERNETES_DIR): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry)
    if (entry === 'kustomization.yaml') found.push(relative(KUBERNETES_DIR, dir) || '.')
    else if (statSync(path).isDirectory()) found.push(...findKustomizationFiles(path))
  }
  return found
}

const isComponent = (dir: string) =>
  (parse(readFileSync(join(KUBERNETES_DIR, dir, 'kustomization.yaml'), 'utf8')) as { kind?: string }).kind ===
  'Component'

/** The kustomizations that `kustomize build` renders on their own (every one but the Components). */
export function findKustomizations(): string[] {
  return findKustomizationFiles().filter((dir) => !isComponent(dir))
}

/** The kustomize Components, which only render as part of a kustomization that lists them. */
export function findComponents(): string[] {
  return findKustomizationFiles().filter(isComponent)
}

/** What `kustomize build` printed: the objects, its output as it is, and its stderr (warnings). */
export interface Rendered {
  objects: KubeObject[]
  yaml: string
  stderr: string
}

/** Renders a kustomization with the real kustomize, the way a user would. */
export async function kustomizeBuild(dir: string): Promise<Rendered> {
  const { stdout, stderr } = await run(findTool('kustomize'), ['build', resolve(KUBERNETES_DIR, dir)], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 30_000,
  })
  return { objects: parseObjects(stdout), yaml: stdout, stderr }
}

export async function kustomize(dir: string): Promise<KubeObject[]> {
  return (await kustomizeBuild(dir)).objects
}

/**
 * The objects of a multi-document YAML stream, without the empty documents, read as kubectl, helm and
 * the API server read them: YAML 1.1, where `defaultMode: 0444` is octal (292), not 444.
 */
export function parseObjects(yaml: string): KubeObject[] {
  return parseAllDocuments(yaml, { version: '1.1' })
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null)
}

export function findObject(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const object = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name))
  if (!object) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among the rendered objects`)
  return object
}
