import { removeBuilds } from './build.js'
import { killAll } from './children.js'

/**
 * Runs a benchmark's entry point: a failure is printed and sets the exit code, and the servers it
 * started and the builds it made go in every case, also on failure.
 */
export function runMain(name: string, main: () => Promise<void>): void {
  main()
    .catch((error: unknown) => {
      process.stderr.write(`${name} failed: ${(error as Error).stack ?? String(error)}\n`)
      process.exitCode = 1
    })
    .finally(() => {
      killAll()
      removeBuilds()
    })
}
