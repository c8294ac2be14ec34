import { readFileSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { startTool, type Tool } from '../../e2e/support/processes.js'
import { freePort } from '../../helpers/free-port.js'
import { findTool, prometheusOperatorCrds, runTool, type ToolResult } from '../../helpers/tools.js'
import { FinalError, waitFor } from '../../helpers/wait-for.js'
import { makeControlPlanePki } from './pki.js'

// A Kubernetes control plane without nodes, on loopback, in a temporary directory: etcd, kube-apiserver
// and kube-controller-manager as scripts/install-test-tools.sh builds them. Deployments make
// ReplicaSets and ReplicaSets make Pods, which admission (PodSecurity among it) judges; no scheduler
// or kubelet, so no Pod is ever run. The Prometheus Operator's CRDs are installed, not the operator.

/** What the controller manager runs: enough for Deployments to make Pods and for deletions to finish. */
const CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  // Every namespace's `default` ServiceAccount, without which no Pod is admitted.
  'serviceaccount-controller',
  // Deleting a Deployment deletes its ReplicaSets and their Pods (background propagation).
  'garbage-collector-controller',
  'namespace-controller',
]

/** The API server records every change (not reads) with its annotations: PodSecurity's, deprecations. */
const AUDIT_POLICY = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    { level: 'Metadata', verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'] },
    { level: 'None' },
  ],
}

/** Generous for a loaded 2-core machine; each wait ends as soon as the state it waits for is there. */
const START_TIMEOUT_MS = 180_000

export interface ControlPlane {
  /** The admin kubeconfig (a client certificate in system:masters), for kubectl and helm. */
  kubeconfig: string
  /** A directory of the control plane's own for the tools' homes and caches. */
  dir: string
  /** The API server's audit log: one JSON event per line, for every change made. */
  auditLog: string
  /** The control plane's processes' recent output, for failure messages. */
  output(): string
  /** Runs kubectl against the control plane, with `input` on its stdin. */
  kubectl(args: string[], input?: string): Promise<ToolResult>
  /** Runs kubectl and returns its stdout; throws with its stderr when it fails. */
  kubectlOk(args: string[], input?: string): Promise<string>
  /** The environment for a tool run against the control plane (KUBECONFIG, a HOME of its own). */
  env(): NodeJS.ProcessEnv
  stop(): Promise<void>
}

/** GET on the API server with the admin credential; resolves with the status and the body. */
function apiGet(
  url: string,
  tls: { ca: Buffer; cert: Buffer; key: Buffer },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, timeout: 10_000 }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
      response.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)))
    req.on('error', reject)
    req.end()
  })
}

/** Fails at once when a process of the control plane has exited. */
function checkRunning(tools: Tool[]): void {
  for (const tool of tools) {
    if (tool.child.exitCode !== null || tool.child.signalCode !== null) {
      throw new FinalError(
        `${tool.name} exited (${tool.child.exitCode ?? tool.child.signalCode}):\n${tool.output()}`,
      )
    }
  }
}

export async function startControlPlane(): Promise<ControlPlane> {
  const dir = await mkdtemp(join(tmpdir(), 'tce-cluster-'))
  const tools: Tool[] = []
  const stop = async () => {
    for (const tool of [...tools].reverse()) await tool.stop()
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const pki = makeControlPlanePki(dir)
    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()]
    const server = `https://127.0.0.1:${apiPort}`
    const kubeconfig = join(dir, 'kubeconfig')
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server, 'certificate-authority': pki.caCert } }],
        users: [{ name: 'admin', user: { 'client-certificate': pki.adminCert, 'client-key': pki.adminKey } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'admin' } }],
        'current-context': 'test',
      }),
    )
    const auditPolicy = join(dir, 'audit-policy.yaml')
    writeFileSync(auditPolicy, stringify(AUDIT_POLICY))
    const auditLog = join(dir, 'audit.log')
    const home = join(dir, 'home')
    await mkdir(home)
    const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: home, KUBECONFIG: kubeconfig })
    const kubectlFile = findTool('kubectl')
    const kubectl = (args: string[], input?: string) =>
      runTool(kubectlFile, args, { env: env(), input, timeoutMs: 120_000 })
    const kubectlOk = async (args: string[], input?: string) => {
      const result = await kubectl(args, input)
      if (result.code !== 0)
        throw new Error(`kubectl ${args.join(' ')} exited ${result.code}:\n${result.stderr}`)
      return result.stdout
    }

    const etcdUrl = `http://127.0.0.1:${etcdClient}`
    tools.push(
      startTool('etcd', findTool('etcd'), [
        '--name=test',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
        `--initial-cluster=test=http://127.0.0.1:${etcdPeer}`,
        // Throwaway data: no fsync on a disk that other tests keep busy.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ]),
    )
    await waitFor(
      'etcd to be healthy',
      async () => {
        checkRunning(tools)
        const response = await fetch(`${etcdUrl}/health`)
        return response.ok && ((await response.json()) as { health?: string }).health === 'true'
          ? true
          : undefined
      },
      START_TIMEOUT_MS,
    )

    tools.push(
      startTool('kube-apiserver', findTool('kube-apiserver'), [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        // The `kubernetes` Service's endpoints may not be a loopback address, and nothing here needs them.
        '--endpoint-reconciler-type=none',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'apiserver')}`,
        `--tls-cert-file=${pki.servingCert}`,
        `--tls-private-key-file=${pki.servingKey}`,
        `--client-ca-file=${pki.caCert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.serviceAccountPublicKey}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        // Addresses handed to Services only: nothing is routed there.
        '--service-cluster-ip-range=10.96.0.0/24',
        '--authorization-mode=RBAC',
        `--audit-policy-file=${auditPolicy}`,
        `--audit-log-path=${auditLog}`,
        '--profiling=false',
      ]),
    )
    const tls = {
      ca: readFileSync(pki.caCert),
      cert: readFileSync(pki.adminCert),
      key: readFileSync(pki.adminKey),
    }
    await waitFor(
      'kube-apiserver to be ready',
      async () => {
        checkRunning(tools)
        return (await apiGet(`${server}/readyz`, tls)).status === 200 ? true : undefined
      },
      START_TIMEOUT_MS,
    )

    tools.push(
      startTool('kube-controller-manager', findTool('kube-controller-manager'), [
        `--kubeconfig=${kubeconfig}`,
        `--controllers=${CONTROLLERS.join(',')}`,
        '--leader-elect=false',
        '--use-service-account-credentials=false',
        // It serves nothing the tests need.
        '--secure-port=0',
      ]),
    )
    await waitFor(
      'kube-controller-manager to make the default ServiceAccount',
      async () => {
        checkRunning(tools)
        const answer = await apiGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, tls)
        return answer.status === 200 ? true : undefined
      },
      START_TIMEOUT_MS,
    )

    for (const crd of prometheusOperatorCrds()) {
      await kubectlOk(['apply', '--server-side', '--field-manager=tests', '-f', crd])
    }
    await kubectlOk([
      'wait',
      '--for=condition=Established',
      '--timeout=120s',
      'crd/servicemonitors.monitoring.coreos.com',
      'crd/podmonitors.monitoring.coreos.com',
      'crd/prometheusrules.monitoring.coreos.com',
    ])

    return {
      kubeconfig,
      dir,
      auditLog,
      output: () => tools.map((tool) => `--- ${tool.name}\n${tool.output()}`).join('\n'),
      kubectl,
      kubectlOk,
      env,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}
