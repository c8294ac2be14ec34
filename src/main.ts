#!/usr/bin/env node
import { nodeVersionProblem } from './node-version.js'

// The entry point: the Node.js version is checked before anything else is loaded (an older Node.js
// would fail inside a dependency with an error that names neither the version nor the exporter).
const problem = nodeVersionProblem(process.versions.node)
if (problem !== undefined) {
  process.stderr.write(`tencent-chat-exporter: ${problem}\n`)
  process.exit(1)
}
await import('./start.js')
