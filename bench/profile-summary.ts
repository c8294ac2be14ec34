import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { ROOT } from './lib/build.js'

/**
 * Prints where a `node --cpu-prof` profile spent its time: self time by function and by package
 * (or by the exporter's own file), and with `--inclusive f,g` the share of the busy time spent in each
 * named function and what it called (a function's cost with the libraries it uses). Usage:
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [top] [--inclusive parsePayload,parseCallbackQuery]`.
 */
interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

function where(url: string): string {
  if (url === '') return '(native)'
  const path = url.startsWith('file://') ? new URL(url).pathname : url
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  if (pkg) return pkg[1] as string
  if (path.startsWith('node:')) return path
  return relative(ROOT, path)
}

const args = process.argv.slice(2)
const inclusiveAt = args.indexOf('--inclusive')
const inclusiveNames = inclusiveAt === -1 ? [] : (args.splice(inclusiveAt, 2)[1] ?? '').split(',')
const [file, topArg] = args
if (file === undefined) {
  process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]\n')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const selfMicros = new Map<number, number>()
profile.samples.forEach((id, i) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})
// Percentages are of the time the process was busy: idle time depends only on how long it waited.
for (const [id] of selfMicros) {
  if ((byId.get(id) as ProfileNode).callFrame.functionName === '(idle)') selfMicros.delete(id)
}
const total = [...selfMicros.values()].reduce((a, b) => a + b, 0)

const byFunction = new Map<string, number>()
const byPlace = new Map<string, number>()
for (const [id, micros] of selfMicros) {
  const frame = (byId.get(id) as ProfileNode).callFrame
  const place = where(frame.url)
  const name = `${frame.functionName || '(anonymous)'} ${place}:${frame.lineNumber + 1}`
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros)
  byPlace.set(place, (byPlace.get(place) ?? 0) + micros)
}

const top = Number(topArg ?? 25)
const print = (title: string, table: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`)
  for (const [name, micros] of [...table].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}\n`)
  }
}
process.stdout.write(`busy ${(total / 1e6).toFixed(2)} s (idle time left out)\n`)
if (inclusiveNames.length > 0) {
  // Each sample counts once for every named function on its stack, however deep the recursion.
  const parent = new Map<number, number>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
  const inclusive = new Map(inclusiveNames.map((name) => [name, 0]))
  for (const [id, micros] of selfMicros) {
    const onStack = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      onStack.add((byId.get(at) as ProfileNode).callFrame.functionName)
    }
    for (const name of inclusiveNames)
      if (onStack.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + micros)
  }
  process.stdout.write('\ninclusive time (the function and what it called)\n')
  for (const [name, micros] of inclusive) {
    process.stdout.write(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${name}\n`)
  }
}
print('self time by function', byFunction)
print('self time by package or file', byPlace)
