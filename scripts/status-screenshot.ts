/**
 * Regenerates docs/status-page.png (a laptop) and docs/status-page-phone.png (a phone): the status page
 * of an exporter that went through the scenario of scripts/status-scenario.ts, as Debian's chromium
 * renders it. `npm run screenshot`.
 */
import { fileURLToPath } from 'node:url'
import { launchChromium } from './chromium.js'
import { startStatusScenario } from './status-scenario.js'

const DOCS = fileURLToPath(new URL('../docs/', import.meta.url))

const SHOTS = [
  { file: 'status-page.png', viewport: { width: 1280, height: 900 }, fullPage: true },
  { file: 'status-page-phone.png', viewport: { width: 390, height: 844 }, fullPage: false },
] as const

const scenario = await startStatusScenario()
try {
  for (const shot of SHOTS) {
    const browser = await launchChromium(shot.viewport)
    try {
      const page = await browser.context.newPage()
      await page.emulateMedia({ colorScheme: 'light' })
      const answer = await page.goto(`${scenario.url}/`)
      if (answer?.status() !== 200) throw new Error(`the status page answered ${answer?.status()}`)
      await page.screenshot({ path: `${DOCS}${shot.file}`, fullPage: shot.fullPage })
      process.stdout.write(`wrote docs/${shot.file}\n`)
    } finally {
      await browser.close()
    }
  }
} finally {
  await scenario.close()
}
