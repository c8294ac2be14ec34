import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { documentationFiles, headings, links, readDoc, repoRoot } from './markdown.js'

const anchorsOf = (file: string) =>
  new Set(headings(readFileSync(file, 'utf8')).map((heading) => heading.anchor))

/** What is wrong with a relative link from `file`, or undefined when it resolves. */
function brokenReason(file: string, target: string): string | undefined {
  const [rawPath = '', rawAnchor] = target.split('#', 2)
  const path = decodeURIComponent(rawPath)
  const resolved =
    path === '' ? file : path.startsWith('/') ? join(repoRoot, path) : resolve(dirname(file), path)
  if (relative(repoRoot, resolved).startsWith('..')) return 'points outside the repository'
  if (!existsSync(resolved)) return `${relative(repoRoot, resolved)} does not exist`
  if (rawAnchor === undefined || !resolved.endsWith('.md') || statSync(resolved).isDirectory())
    return undefined
  const anchor = decodeURIComponent(rawAnchor)
  if (!anchorsOf(resolved).has(anchor))
    return `${relative(repoRoot, resolved)} has no heading with the anchor #${anchor}`
  return undefined
}

/** A chart's README is read on GitHub too, beside the chart. */
function chartReadmes(): string[] {
  const charts = join(repoRoot, 'charts')
  if (!existsSync(charts)) return []
  return readdirSync(charts)
    .map((chart) => join(charts, chart, 'README.md'))
    .filter(existsSync)
}

describe('links in README.md, docs/ and the charts', () => {
  const files = documentationFiles()

  it('covers the README and every docs file', () => {
    expect(files.map((file) => relative(repoRoot, file))).toEqual(
      expect.arrayContaining(['README.md', 'docs/configuration.md', 'docs/runbook.md']),
    )
  })

  it.each([...files, ...chartReadmes()].map((file) => [relative(repoRoot, file), file]))(
    'every relative link and anchor in %s resolves',
    (_, file) => {
      const broken = links(readFileSync(file, 'utf8'))
        .filter((link) => !/^[a-z][a-z0-9+.-]*:/i.test(link.target))
        .flatMap((link) => {
          const reason = brokenReason(file, link.target)
          return reason === undefined ? [] : [`line ${link.line}: (${link.target}) ${reason}`]
        })
      expect(broken).toEqual([])
    },
  )

  it('the README links to every docs file', () => {
    const linked = new Set(
      links(readDoc('README.md')).map((link) =>
        resolve(repoRoot, (link.target.split('#')[0] as string) || 'README.md'),
      ),
    )
    const missing = files.filter((file) => !file.endsWith('README.md') && !linked.has(file))
    expect(missing.map((file) => relative(repoRoot, file))).toEqual([])
  })
})

/** Every YAML file under the folders that hold alert rules: the rules, the PrometheusRule, the chart. */
function ruleManifests(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return walk(path)
      return /\.ya?ml$/.test(entry.name) ? [path] : []
    })
  return ['prometheus', 'deploy', 'charts']
    .map((dir) => join(repoRoot, dir))
    .filter(existsSync)
    .flatMap(walk)
}

describe("alerts' runbook_url", () => {
  const runbookAnchors = anchorsOf(join(repoRoot, 'docs/runbook.md'))
  const urls = ruleManifests().flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/runbook_url:[ \t]*(.+)$/gm)].map(
      (match) => [relative(repoRoot, file), (match[1] as string).trim().replace(/^["']|["']$/g, '')] as const,
    ),
  )

  it('is set in the rules files', () => {
    expect(urls.map(([file]) => file)).toContain('prometheus/rules/tencent-chat-exporter.rules.yml')
  })

  it('points at a section of docs/runbook.md, everywhere it is written', () => {
    const broken = urls.flatMap(([file, url]) => {
      const [base = '', anchor = ''] = url.split('#', 2)
      // A chart template may build the base from its values; its anchor is still written out.
      const templated = base.includes('{{')
      if (templated && !url.includes('#')) return []
      if (!templated && !base.endsWith('/docs/runbook.md')) return [`${file}: ${url} is not docs/runbook.md`]
      return runbookAnchors.has(anchor) ? [] : [`${file}: ${url}: docs/runbook.md has no section #${anchor}`]
    })
    expect(broken).toEqual([])
  })
})
