import { spawn } from 'node:child_process'

export const PROMTOOL = process.env.PROMTOOL ?? 'promtool'

export interface PromtoolResult {
  code: number | null
  output: string
}

/** Pipes an exposition into `promtool check metrics`; its findings are printed on stdout or stderr. */
export function promtoolCheckMetrics(exposition: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new Error(
              `${PROMTOOL} is not installed: run scripts/install-test-tools.sh (Debian package "prometheus") or set PROMTOOL`,
            )
          : error,
      )
    })
    child.on('close', (code) => resolve({ code, output: output.trim() }))
    child.stdin.end(exposition)
  })
}
