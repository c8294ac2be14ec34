import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { isAbsolute, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { repoRoot } from '../../monitoring/paths.js'

/**
 * The virtual environment with Tencent's Python client (tencentcloud-sdk-python-im), made by
 * scripts/install-python-client.sh: PYTHON_CLIENT_VENV, relative to the repository or absolute.
 */
export function pythonClientVenv(): string {
  const venv = process.env.PYTHON_CLIENT_VENV ?? '.venv'
  return isAbsolute(venv) ? venv : join(repoRoot, venv)
}

const DRIVER = fileURLToPath(new URL('./rest-client.py', import.meta.url))

/** APIs the driver knows how to call, by `<servicename>/<command>`. */
export type DrivenApi =
  | 'openim/sendmsg'
  | 'openim/batchsendmsg'
  | 'openim/query_online_status'
  | 'group_open_http_svc/get_appid_group_list'

export interface ClientStep {
  api: DrivenApi
  count: number
  /** Sign the UserSig with another key than the app's (Chat answers 70009). */
  wrongKey?: boolean
}

export interface ClientCall {
  api: DrivenApi
  /** The HTTP status the client got, or null when it got no answer. */
  status: number | null
  errorCode: number | null
}

/**
 * Runs the real Python client against `baseUrl` (the meter's `/v4`), one call after another, and returns
 * what each call got. Asynchronous on purpose: the meter answering it runs in this process.
 */
export async function runPythonClient(
  app: { baseUrl: string; sdkappid: string; identifier: string; key: string },
  steps: ClientStep[],
): Promise<ClientCall[]> {
  const plan = {
    url: app.baseUrl,
    sdkappid: Number(app.sdkappid),
    admin: app.identifier,
    key: app.key,
    steps,
  }
  const child = spawn(join(pythonClientVenv(), 'bin', 'python'), [DRIVER, JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1' },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  const [code] = (await Promise.race([
    once(child, 'exit'),
    once(child, 'error').then(([error]) => {
      throw new Error(
        `cannot run ${pythonClientVenv()}/bin/python (scripts/install-python-client.sh): ${error}`,
      )
    }),
  ])) as [number | null]
  if (code !== 0) throw new Error(`the Python client exited with ${code}:\n${stderr}`)
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as ClientCall[]
}
