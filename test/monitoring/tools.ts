import { execFile } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/**
 * Finds the first of the given executables on PATH (Debian ships Alertmanager as
 * `prometheus-alertmanager`, upstream tarballs as `alertmanager`). Throws rather than skipping:
 * scripts/install-test-tools.sh installs them, and a silently skipped check proves nothing.
 */
export function findTool(...names: string[]): string {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean)
  for (const name of names) {
    for (const dir of dirs) {
      const file = join(dir, name)
      try {
        accessSync(file, constants.X_OK)
        return file
      } catch {}
    }
  }
  throw new Error(`none of ${names.join(', ')} is on PATH: run scripts/install-test-tools.sh`)
}

export interface ToolResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs a tool to completion and returns its exit code and output, whatever the code. */
export async function runTool(file: string, args: string[], timeoutMs = 30_000): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(file, args, { timeout: timeoutMs })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string }
    if (typeof failed.code !== 'number') throw error
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' }
  }
}
