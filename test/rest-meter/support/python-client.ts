import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The real Python client of Chat's REST API (tencentcloud-sdk-python-im's TCIMClient), run by
 * test/rest-meter/python/drive_meter.py from the virtualenv that scripts/install-python-client.sh makes.
 * It runs as a child process, asynchronously: the meter it calls runs in the test's own process.
 */

const PROJECT_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const DRIVER = join(PROJECT_ROOT, 'test', 'rest-meter', 'python', 'drive_meter.py')
const INSTALL_HINT =
  'run scripts/install-python-client.sh (or point PYTHON_CLIENT_VENV at the virtualenv it made)'

/** The Python client's methods the driver knows, as the app's code would call them. */
export type PythonClientMethod =
  | 'add_single_user'
  | 'check_user_online'
  | 'send_message'
  | 'get_group'
  | 'search_user'
  | 'get_friends'

/** The API each method calls (`<servicename>/<command>`), as the client's source writes it. */
export const API_OF_METHOD: Record<PythonClientMethod, string> = {
  add_single_user: 'im_open_login_svc/account_import',
  check_user_online: 'openim/query_online_status',
  send_message: 'openim/sendmsg',
  get_group: 'group_open_http_svc/get_appid_group_list',
  search_user: 'im_open_login_svc/account_check',
  get_friends: 'sns/friend_get',
}

export interface PythonStep {
  method: PythonClientMethod
  calls: number
  /** All calls at once from as many threads, else one after the other. */
  concurrent?: boolean
  /** The UserSig's validity in seconds (negative: expired). */
  expire_time?: number
}

export interface PythonScenario {
  /** The meter's base URL with `/v4`, as an app sets its client's base URL. */
  url: string
  sdkappid: number
  key: string
  admin: string
  steps: PythonStep[]
}

/** One call as the Python client made it and what it received. */
export interface PythonCall {
  /** Unix milliseconds just before the client was called, and once it returned. */
  sent_ms: number
  answered_ms: number
  status?: number
  content_encoding?: string | null
  body_base64?: string
  path?: string
  /** The query as the client sent it. */
  raw_query?: string
  /** The parameters of the query the client sent: sdkappid, identifier, usersig, random, contenttype. */
  query?: Record<string, string>
  /** Set when the client got no answer (it logs why to standard error). */
  error?: string
}

export interface PythonRun {
  python: string
  client: string
  steps: Array<{ method: PythonClientMethod; calls: PythonCall[] }>
  /** What the client logged. */
  stderr: string
}

/** The virtualenv's python, or an error that says how to install it: the tests never skip without it. */
export function pythonClientPython(): string {
  const venv = process.env.PYTHON_CLIENT_VENV || join(PROJECT_ROOT, '.venv')
  const python = join(venv, 'bin', 'python')
  if (!existsSync(python)) {
    throw new Error(`The Python REST client is not installed (no ${python}): ${INSTALL_HINT}`)
  }
  return python
}

/** Runs `scenario` with the Python client; rejects with its standard error when it fails. */
export function drivePythonClient(scenario: PythonScenario, timeoutMs = 120_000): Promise<PythonRun> {
  const python = pythonClientPython()
  return new Promise((resolve, reject) => {
    // Only PATH: a proxy variable of the developer's must not divert the client's calls to loopback.
    const child = spawn(python, [DRIVER], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONIOENCODING: 'utf-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code !== 0) {
        const hint = stderr.includes('ModuleNotFoundError') ? `\n${INSTALL_HINT}` : ''
        reject(new Error(`drive_meter.py exited with ${code ?? signal}:\n${stderr}${hint}`))
        return
      }
      try {
        resolve({ ...(JSON.parse(stdout) as Omit<PythonRun, 'stderr'>), stderr })
      } catch {
        reject(new Error(`drive_meter.py printed no JSON:\n${stdout}\n${stderr}`))
      }
    })
    child.stdin.end(JSON.stringify(scenario))
  })
}
