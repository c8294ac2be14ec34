import { execFile } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { promisify } from 'node:util'
import { parseAllDocuments } from 'yaml'

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
}

/** Every directory under deploy/kubernetes that holds a kustomization, relative to it. */
export function findKustomizations(dir = KUBERNETES_DIR): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry)
    if (entry === 'kustomization.yaml') found.push(relative(KUBERNETES_DIR, dir) || '.')
    else if (statSync(path).isDirectory()) found.push(...findKustomizations(path))
  }
  return found
}

/**
 * Renders a kustomization with the kubectl on PATH (or $KUBECTL), the way a user would. Works with
 * kubectl 1.20's kustomize v2 as well as kustomize v5: newer ones only warn about the old fields.
 */
export async function kustomize(dir: string): Promise<KubeObject[]> {
  const kubectl = process.env.KUBECTL ?? 'kubectl'
  const { stdout } = await run(kubectl, ['kustomize', resolve(KUBERNETES_DIR, dir)], {
    maxBuffer: 16 * 1024 * 1024,
    timeout: 30_000,
  })
  return parseAllDocuments(stdout)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null)
}

export function findObject(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const object = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name))
  if (!object) throw new Error(`no ${kind}${name ? ` ${name}` : ''} among the rendered objects`)
  return object
}
