import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ciValuesFiles, helmTemplate } from '../deploy/helm.js'
import {
  containerPort,
  type ExporterInPod,
  exporterInPod,
  type Container as PodContainer,
} from '../deploy/pod.js'
import { probe } from '../deploy/scrape.js'
import { type Container, containersOfThisFile } from './container.js'
import { requireImage } from './podman.js'

// The image started as the Helm chart's rendered Deployment starts it, for each of the chart's ci/
// values files: the exporter container's environment (Secrets and ConfigMaps resolved), arguments,
// read-only Secret mounts, ports and security context, with this image in place of the released one.

const MATRIX = ciValuesFiles()
const containers = containersOfThisFile()
const root = mkdtempSync(join(tmpdir(), 'tce-image-chart-'))

beforeAll(() => requireImage(), 60_000)
afterAll(() => rmSync(root, { recursive: true, force: true }))

// biome-ignore lint/suspicious/noExplicitAny: rendered YAML
type SecurityContext = Record<string, any>

/** podman run flags for a security context (the container's over the Pod's), as the kubelet applies it. */
function securityFlags(pod: SecurityContext, container: SecurityContext): string[] {
  const context = { ...pod, ...container }
  const flags: string[] = []
  if (context.readOnlyRootFilesystem) flags.push('--read-only')
  for (const capability of context.capabilities?.drop ?? []) flags.push('--cap-drop', capability)
  for (const capability of context.capabilities?.add ?? []) flags.push('--cap-add', capability)
  if (context.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges')
  if (context.runAsUser !== undefined)
    flags.push(
      '--user',
      `${context.runAsUser}${context.runAsGroup === undefined ? '' : `:${context.runAsGroup}`}`,
    )
  // seccompProfile RuntimeDefault is podman's default profile; anything else is not run here.
  const seccomp = context.seccompProfile?.type
  if (seccomp !== undefined && seccomp !== 'RuntimeDefault')
    throw new Error(`seccompProfile ${seccomp}: not run here`)
  return flags
}

/**
 * Starts the image with the rendered exporter container's settings. Mounted Secrets are written
 * under a folder of `root` by `exporterInPod`, which also points the environment there: the paths go
 * back to the container's mount paths, and each folder is mounted at its path.
 */
async function startFromDeployment(inPod: ExporterInPod, dir: string): Promise<Container> {
  const exporter: PodContainer = inPod.exporter
  const env = Object.fromEntries(
    Object.entries(inPod.env).map(([name, value]) => [
      name,
      value.startsWith(`${dir}/`) ? value.slice(dir.length) : value,
    ]),
  )
  const mounts = (exporter.volumeMounts ?? []).map((mount: { mountPath: string; readOnly?: boolean }) => {
    if (mount.readOnly !== true) throw new Error(`volumeMount ${mount.mountPath} is writable: not run here`)
    return { source: join(dir, mount.mountPath), target: mount.mountPath }
  })
  return containers.start({
    env,
    mounts,
    ports: (exporter.ports ?? []).map((port: { containerPort: number }) => port.containerPort),
    flags: [
      ...securityFlags(inPod.pod.podSpec.securityContext ?? {}, exporter.securityContext ?? {}),
      // `command` replaces the image's ENTRYPOINT, `args` its CMD, as in Kubernetes.
      ...(exporter.command ? ['--entrypoint', JSON.stringify(exporter.command)] : []),
    ],
    command: exporter.args ?? [],
  })
}

describe.each(MATRIX)('%s: the image started from the rendered Deployment', (file) => {
  let inPod: ExporterInPod
  let container: Container

  beforeAll(async () => {
    const dir = join(root, file)
    inPod = exporterInPod(await helmTemplate({ file }), dir)
    container = await startFromDeployment(inPod, dir)
  }, 120_000)

  it('answers the liveness and readiness probes on their paths and ports', async () => {
    for (const { httpGet } of [inPod.exporter.livenessProbe, inPod.exporter.readinessProbe]) {
      const answer = await probe(httpGet, container.hostPort(containerPort(inPod.exporter, httpGet.port)))
      expect(answer.status, `${httpGet.path} on ${httpGet.port}`).toBe(200)
    }
  })

  it('passes the HEALTHCHECK', async () => {
    expect(await container.checkHealth()).toEqual({ code: 0, output: '', status: 'healthy' })
  })

  it('exits 0 on SIGTERM within the termination grace period', async () => {
    expect(await container.stop(inPod.pod.podSpec.terminationGracePeriodSeconds)).toBe(0)
  })
})
