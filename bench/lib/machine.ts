import { execFileSync } from 'node:child_process'
import os from 'node:os'

export interface Machine {
  cpuModel: string
  cores: number
  memoryGiB: number
  os: string
  node: string
}

export function describeMachine(): Machine {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  }
}

/** The commit benchmarked, with `-dirty` when the work tree differs from it; undefined outside git. */
export function gitDescribe(cwd: string): string | undefined {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty', '--exclude', '*'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return undefined
  }
}
