import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Registry } from 'prom-client'
import { beforeAll, describe, expect, it } from 'vitest'
import * as catalog from '../../src/metrics/catalog.js'
import { alertBody, callbackUrl, postCallback } from '../helpers/callbacks.js'
import { startExporter, type TestExporter } from '../helpers/start-exporter.js'
import { startProxy } from '../proxy/start-proxy.js'
import { startFakeChat } from '../rest-meter/support/fake-chat.js'
import { APP, restQuery, startMeter } from '../rest-meter/support/meter.js'
import { codeIn, codesIn, readDoc, type Table, tablesWithColumns } from './markdown.js'

/**
 * prom-client's default process and Node.js metrics: documented by one sentence rather than a row
 * each, since they are prom-client's and vary with the Node.js version and the platform.
 */
const DEFAULT_METRIC_PREFIXES = ['process_', 'nodejs_']
const isDefaultMetric = (name: string) => DEFAULT_METRIC_PREFIXES.some((prefix) => name.startsWith(prefix))

interface Family {
  type: string
  /** Undefined when the running exporter does not show them: neither a registered label list nor a sample. */
  labels: string[] | undefined
}

/**
 * Name → type and label names, as a running exporter exposes them: the types from its scrape, the labels
 * from its registry and from the samples it serves (a histogram's `le` aside).
 */
async function exposedFamilies(exporter: TestExporter): Promise<Map<string, Family>> {
  const text = await (await fetch(`${exporter.metricsUrl}/metrics`)).text()
  const registered = registeredLabelNames(exporter.registry)
  const types = new Map<string, string>()
  const labels = new Map<string, Set<string>>()
  const known = new Set<string>()
  for (const [, name = '', type = ''] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    types.set(name, type)
    labels.set(name, new Set(registered.get(name)))
    if (registered.has(name)) known.add(name)
  }
  for (const [, sample = '', block = ''] of text.matchAll(/^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? /gm)) {
    const name = labels.has(sample) ? sample : sample.replace(/_(bucket|sum|count)$/, '')
    known.add(name)
    for (const [, label = ''] of block.matchAll(/(\w+)="/g)) {
      if (label !== 'le') labels.get(name)?.add(label)
    }
  }
  return new Map(
    [...types].map(([name, type]) => [
      name,
      { type, labels: known.has(name) ? [...(labels.get(name) ?? [])] : undefined },
    ]),
  )
}

/** The label names of the registry's prom-client metrics (the exporter's own families carry none). */
function registeredLabelNames(registry: Registry): Map<string, readonly string[]> {
  const names = new Map<string, readonly string[]>()
  for (const metric of registry.getMetricsAsArray()) {
    const labelNames = (metric as { labelNames?: readonly string[] }).labelNames
    if (labelNames !== undefined) names.set(metric.name, labelNames)
  }
  return names
}

/** Name → type and labels, from the rows of tables. */
function documentedFamilies(tables: Table[]): Map<string, Family> {
  const families = new Map<string, Family>()
  for (const table of tables) {
    for (const [name = '', type = '', labels = ''] of table.rows) {
      families.set(codeIn(name), { type: codeIn(type), labels: codesIn(labels) })
    }
  }
  return families
}

const row = (name: string, { type, labels = [] }: Family) =>
  `| \`${name}\` | ${type} | ${labels.map((label) => `\`${label}\``).join(', ')} | <meaning> |`

const sameLabels = (a: string[] = [], b: string[] = []) => [...a].sort().join() === [...b].sort().join()

/** What to change in the documented tables so that they say what the exporter exposes. */
function differences(documented: Map<string, Family>, exposed: Map<string, Family>): string[] {
  const found: string[] = []
  for (const [name, family] of exposed) {
    const shown = documented.get(name)
    if (family.labels === undefined) {
      found.push(
        `\`${name}\` has no sample in the test's scrape: send a callback that gives it one (test/docs)`,
      )
    } else if (shown === undefined) found.push(`add a row: ${row(name, family)}`)
    else if (shown.type !== family.type || !sameLabels(shown.labels, family.labels)) {
      found.push(`change the row of \`${name}\` to: ${row(name, family)}`)
    }
  }
  for (const name of documented.keys()) {
    if (!exposed.has(name)) found.push(`remove the row of \`${name}\`: the exporter does not expose it`)
  }
  return found
}

function withoutDefaultMetrics(families: Map<string, Family>): Map<string, Family> {
  return new Map([...families].filter(([name]) => !isDefaultMetric(name)))
}

describe('docs/metrics.md', () => {
  const markdown = readDoc('docs/metrics.md')
  const metricTables = tablesWithColumns(markdown, 'metric', 'type', 'labels')
  const isProxyTable = (table: Table) => /front-proxy/i.test(table.section)
  const isTokenFileTable = (table: Table) => /callback tokens/i.test(table.section)
  const isRestMeterTable = (table: Table) => /rest meter/i.test(table.section)
  let plain: Map<string, Family>
  let proxyMode: Map<string, Family>
  let tokenFileMode: Map<string, Family>
  let meterMode: Map<string, Family>

  beforeAll(async () => {
    const exporter = await startExporter()
    // One alarm of each kind, so that the families the exporter renders itself show their labels.
    for (const [command, body] of [
      ['Alert.RequestOverLimit', alertBody()],
      [
        'Group.CallbackOnDailyGroupQuotaAlarm',
        JSON.stringify({
          CallbackCommand: 'Group.CallbackOnDailyGroupQuotaAlarm',
          QuotaUsed: 7321,
          Quota: 10000,
        }),
      ],
    ] as const) {
      expect((await postCallback(callbackUrl(exporter.url, { command }), body)).status).toBe(200)
    }
    // Front-proxy mode registers its metrics when it starts; nothing is forwarded, so nothing listens there.
    const proxy = await startProxy({ upstreamUrl: 'http://127.0.0.1:9/callback' })
    // CALLBACK_TOKEN_FILE adds the token file reload metrics.
    const dir = mkdtempSync(join(tmpdir(), 'tce-docs-'))
    writeFileSync(join(dir, 'token'), 'docs-token\n')
    const withTokenFile = await startExporter({
      config: { callbackTokenFile: { path: join(dir, 'token'), tokens: ['docs-token'] } },
    })
    // EGRESS_PORT (and API_LIMITS_FILE) add the REST meter's: one call through it gives them samples.
    const chat = await startFakeChat(APP)
    writeFileSync(join(dir, 'limits.yaml'), 'openim/sendmsg: 300\n')
    const withMeter = await startMeter(chat, {
      config: {
        apiLimitsFile: {
          path: join(dir, 'limits.yaml'),
          limits: new Map([['openim/sendmsg', 300]]),
          content: '',
        },
      },
    })
    const call = await fetch(`${withMeter.egressUrl}/v4/openim/sendmsg?${restQuery()}`, {
      method: 'POST',
      body: '{}',
    })
    expect(call.status).toBe(200)
    try {
      plain = await exposedFamilies(exporter)
      proxyMode = await exposedFamilies(proxy)
      tokenFileMode = await exposedFamilies(withTokenFile)
      meterMode = await exposedFamilies(withMeter)
    } finally {
      await exporter.close()
      await proxy.close()
      await withTokenFile.close()
      await withMeter.close()
      await chat.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('the tables outside "Front-proxy mode", "Callback tokens" and "REST meter" list every family of an exporter, with its type and labels', () => {
    const documented = documentedFamilies(
      metricTables.filter(
        (table) => !isProxyTable(table) && !isTokenFileTable(table) && !isRestMeterTable(table),
      ),
    )
    expect(
      documented.size,
      'docs/metrics.md has | metric | type | labels | meaning | tables',
    ).toBeGreaterThan(0)
    expect(
      differences(documented, withoutDefaultMetrics(plain)),
      'docs/metrics.md, section "Families"',
    ).toEqual([])
  })

  it('the tables under "Front-proxy mode" list every family that front-proxy mode adds', () => {
    const documented = documentedFamilies(metricTables.filter(isProxyTable))
    const added = new Map([...proxyMode].filter(([name]) => !plain.has(name)))
    expect(differences(documented, added), 'docs/metrics.md, section "Front-proxy mode"').toEqual([])
  })

  it('the tables under "Callback tokens" list every family that CALLBACK_TOKEN_FILE adds', () => {
    const documented = documentedFamilies(metricTables.filter(isTokenFileTable))
    const added = new Map([...tokenFileMode].filter(([name]) => !plain.has(name)))
    expect(differences(documented, added), 'docs/metrics.md, section "Callback tokens"').toEqual([])
  })

  it('the tables under "REST meter" list every family that EGRESS_PORT and API_LIMITS_FILE add', () => {
    const documented = documentedFamilies(metricTables.filter(isRestMeterTable))
    const added = new Map([...meterMode].filter(([name]) => !plain.has(name)))
    expect(differences(documented, added), 'docs/metrics.md, section "REST meter"').toEqual([])
  })

  it('every family of src/metrics/catalog.ts has a row with its type and labels, and every row a family there', () => {
    const defined = new Map(
      Object.values(catalog).map((family) => [
        family.name,
        { type: family.type, labels: [...family.labelNames] } satisfies Family,
      ]),
    )
    expect(differences(documentedFamilies(metricTables), defined), 'docs/metrics.md').toEqual([])
  })

  it('every family a running exporter serves, in every mode, is defined in src/metrics/catalog.ts', () => {
    const defined = new Set<string>(Object.values(catalog).map((family) => family.name))
    const served = [...plain.keys(), ...proxyMode.keys(), ...tokenFileMode.keys(), ...meterMode.keys()]
    expect([...new Set(served)].filter((name) => !isDefaultMetric(name) && !defined.has(name))).toEqual([])
  })

  it("prom-client's default metrics are there, and described by one sentence instead of rows", () => {
    for (const prefix of DEFAULT_METRIC_PREFIXES) {
      expect(
        [...plain.keys()].some((name) => name.startsWith(prefix)),
        `a ${prefix}* family is exposed`,
      ).toBe(true)
      expect(markdown, `docs/metrics.md mentions \`${prefix}\``).toContain(`\`${prefix}\``)
    }
    const rows = documentedFamilies(metricTables)
    expect([...rows.keys()].filter(isDefaultMetric)).toEqual([])
  })
})
