import { spawn } from 'node:child_process'
import { findTool } from './tools.js'

export interface PromtoolResult {
  code: number | null
  output: string
}

/** Pipes an exposition into `promtool check metrics`; its findings are printed on stdout or stderr. */
export function promtoolCheckMetrics(exposition: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(findTool('promtool'), ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, output: output.trim() }))
    child.stdin.end(exposition)
  })
}
