import { afterAll, beforeAll } from 'vitest'
import { type BuiltEntryPoint, buildEntryPoint } from '../startup/exporter-process.js'
import { fifoFileTests } from './fifo-files.cases.js'
import { prometheusTlsScrapeTests } from './prometheus-tls-scrape.cases.js'
import { tokenRotationTests } from './token-rotation.cases.js'
import { webConfigStartupTests } from './web-config-startup.cases.js'

// The security features on the real entry point (`node dist/src/main.js`), compiled once for all the
// groups: a compile takes a while on a busy two-core machine.

let entry: BuiltEntryPoint | undefined
const entryPoint = () => {
  if (!entry) throw new Error('the entry point was not built')
  return entry
}

beforeAll(async () => {
  entry = await buildEntryPoint()
}, 180_000)

afterAll(async () => {
  await entry?.remove()
})

webConfigStartupTests(entryPoint)
fifoFileTests(entryPoint)
tokenRotationTests(entryPoint)
prometheusTlsScrapeTests(entryPoint)
