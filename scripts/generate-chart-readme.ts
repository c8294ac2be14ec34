/**
 * Writes the values table of the Helm chart's README from the `# --` comments and defaults of its
 * values.yaml, so that the documented defaults are the real ones.
 *
 *   npx tsx scripts/generate-chart-readme.ts          # regenerate
 *   npx tsx scripts/generate-chart-readme.ts --check  # exit 1 when the committed README is stale
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { CHART_README_PATH, CHART_VALUES_PATH, formatMarkdown, renderChartReadme } from './chart-values.js'

const root = fileURLToPath(new URL('../', import.meta.url))
const readmeUrl = new URL(CHART_README_PATH, `file://${root}`)
const committed = readFileSync(readmeUrl, 'utf8')
const fresh = formatMarkdown(
  renderChartReadme(committed, readFileSync(new URL(CHART_VALUES_PATH, `file://${root}`), 'utf8')),
  root,
)

if (process.argv.includes('--check')) {
  if (committed !== fresh) {
    process.stderr.write(
      `${CHART_README_PATH} is stale: run npx tsx scripts/generate-chart-readme.ts and commit it\n`,
    )
    process.exit(1)
  }
  process.stdout.write(`${CHART_README_PATH} is up to date\n`)
} else {
  writeFileSync(readmeUrl, fresh)
  process.stdout.write(`wrote ${CHART_README_PATH}\n`)
}
