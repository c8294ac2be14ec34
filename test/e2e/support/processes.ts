import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { FinalError, waitFor } from '../../helpers/wait-for.js'

export { waitFor }

export interface Tool {
  name: string
  child: ChildProcess
  /** Everything the process has written so far, for failure messages. */
  output(): string
  stop(): Promise<void>
}

/** Starts a long-running tool, keeping its output, with a stop() that always ends it. */
export function startTool(name: string, file: string, args: string[]): Tool {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => {
    // Enough to explain a failure, bounded so a chatty process can't fill memory.
    output = (output + chunk.toString()).slice(-20_000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = once(child, 'exit').catch(() => undefined)
  return {
    name,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])
      if (!stopped) {
        child.kill('SIGKILL')
        await exited
      }
    },
  }
}

/** Waits for an HTTP endpoint to answer 200, failing early if the tool exits. */
export async function waitReady(tool: Tool, url: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    `${tool.name} at ${url}`,
    async () => {
      if (tool.child.exitCode !== null) throw new FinalError(`${tool.name} exited:\n${tool.output()}`)
      const response = await fetch(url)
      return response.ok ? true : undefined
    },
    timeoutMs,
  )
}
