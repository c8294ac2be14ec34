import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import { type Metric, type MetricObject, type OpenMetricsContentType, Registry } from 'prom-client'
import { escapeString, formatLabelBlock, isDirectFamily, valueString } from './direct-family.js'
import { ExpositionWriter } from './exposition-writer.js'

const gzip = promisify(gzipCallback)

export const PROMETHEUS_TEXT = Registry.PROMETHEUS_CONTENT_TYPE
export const OPENMETRICS_TEXT = Registry.OPENMETRICS_CONTENT_TYPE

export type ExpositionFormat = 'text' | 'openmetrics'

/**
 * Renders the registry byte for byte as prom-client 15's `Registry#metrics()` would, in either format,
 * without touching the registry (prom-client renders OpenMetrics by renaming every counter in place,
 * `foo_total` → `foo`, so that the next text scrape would lose the suffix).
 *
 * Counters and gauges, nearly all of the exposition, are rendered here: prom-client formats the labels
 * of every sample again at every scrape (an entries array, three regular expressions per value and two
 * joins), which made `/metrics` take tens of milliseconds at 2,000 tracked APIs. Here the label block of
 * a label set is formatted once and kept while prom-client holds that set; the metrics store the caller's
 * label object by reference and nothing in the exporter changes one after handing it over.
 * The exporter's API and group-quota series are direct families (src/metrics/direct-family.ts): records
 * whose label blocks were formatted when the series appeared, rendered by the family itself.
 * Histograms, summaries and samples with exemplars go through prom-client's own rendering. Large
 * expositions are rendered in slices, letting callbacks through in between (see SAMPLES_PER_TURN).
 * Default labels (`Registry#setDefaultLabels`) are not applied: the exporter sets none.
 */
async function renderExposition(registry: Registry, format: ExpositionFormat): Promise<Buffer> {
  const openMetrics = format === 'openmetrics'
  let openMetricsView: Registry<OpenMetricsContentType> | undefined
  const viaPromClient = (metric: MetricObject): Promise<string> => {
    if (!openMetrics) return registry.getSingleMetricAsString(metric.name)
    if (openMetricsView === undefined) {
      openMetricsView = new Registry<OpenMetricsContentType>()
      openMetricsView.setContentType(OPENMETRICS_TEXT)
    }
    const view = isCounter(metric) ? counterFamilyView(metric) : metric
    openMetricsView.registerMetric(view as unknown as Metric)
    return openMetricsView.getSingleMetricAsString(view.name)
  }
  // As prom-client does: every metric's get() (and so its collect()) starts before any is rendered.
  // A direct family (the exporter's API and group-quota series) writes its samples when its turn comes.
  const collected = await Promise.all(
    registry.getMetricsAsArray().map(async (metric) => {
      if (isDirectFamily(metric)) return metric
      if (!isCounter(metric) && String(metric.type) !== 'gauge') return viaPromClient(metric)
      return { metric, data: await (metric as RenderableMetric).get() }
    }),
  )
  const out = new ExpositionWriter(((lastSizes.get(registry) ?? 0) * 9) / 8)
  const separator = openMetrics ? '\n' : '\n\n'
  const turn = { samples: 0 }
  for (const [i, entry] of collected.entries()) {
    if (i > 0) out.writeText(separator)
    if (typeof entry === 'string') out.writeText(entry)
    else if (isDirectFamily(entry)) {
      out.writeText(familyHeader(entry, openMetrics).header)
      // In slices, like prom-client's families below: one of 20,000 samples written at once kept every
      // callback waiting 5 to 8 ms, and a callback needs several turns of the event loop.
      const writeSlice = entry.sampleWriter()
      for (;;) {
        const room = SAMPLES_PER_TURN - turn.samples
        const written = writeSlice(out, room)
        turn.samples += written
        if (written < room) break
        turn.samples = 0
        await nextTurn()
      }
    } else {
      out.writeText(
        (await renderFamily(entry.data, openMetrics, turn)) ?? (await viaPromClient(entry.metric)),
      )
    }
  }
  out.writeText(openMetrics ? '\n# EOF\n' : '\n')
  const bytes = out.finish()
  lastSizes.set(registry, bytes.length)
  return bytes
}

/** The size of each registry's latest exposition: the next one is written into a buffer that large. */
const lastSizes = new WeakMap<Registry, number>()

/**
 * Samples rendered before the event loop gets a turn: a scrape of 20,000 tracked APIs (100,000 samples)
 * would otherwise hold back every callback until it is done. Small expositions never yield.
 */
const SAMPLES_PER_TURN = 4096
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

type RenderableMetric = MetricObject & { get(): Promise<MetricObject> }
interface Sample {
  value: number
  labels?: Record<string, string | number>
  metricName?: string
  sharedLabels?: object
  exemplar?: unknown
}

const isCounter = (metric: MetricObject) => String(metric.type) === 'counter'

/** One counter or gauge family; undefined when a sample needs what only prom-client renders. */
async function renderFamily(
  data: MetricObject,
  openMetrics: boolean,
  turn: { samples: number },
): Promise<string | undefined> {
  const { sampleName, header } = familyHeader(data, openMetrics)
  let text = header
  for (const sample of ((data as MetricObject & { values?: Sample[] }).values ?? []) as Sample[]) {
    if (sample.metricName !== undefined || sample.sharedLabels !== undefined || sample.exemplar)
      return undefined
    text += `\n${sampleName}${labelBlock(sample.labels)} ${valueString(sample.value)}`
    if (++turn.samples >= SAMPLES_PER_TURN) {
      turn.samples = 0
      await nextTurn()
    }
  }
  return text
}

/** The `# HELP` and `# TYPE` lines of a family, and the name of its samples, in either format. */
function familyHeader(
  data: { name: string; help: string; type: unknown },
  openMetrics: boolean,
): { sampleName: string; header: string } {
  const counter = String(data.type) === 'counter'
  const family = escapeString(openMetrics && counter ? familyName(data.name) : data.name)
  const sampleName = openMetrics && counter ? `${family}_total` : family
  return { sampleName, header: `# HELP ${family} ${escapeString(data.help)}\n# TYPE ${family} ${data.type}` }
}

const labelBlocks = new WeakMap<object, string>()

/** `{name="value",…}` in the label object's own key order, or '' without labels; cached per object. */
function labelBlock(labels: Sample['labels']): string {
  if (labels === undefined) return ''
  let block = labelBlocks.get(labels)
  if (block === undefined) {
    block = formatLabelBlock(labels)
    labelBlocks.set(labels, block)
  }
  return block
}

const familyName = (name: string) => name.replace(/_total$/, '')

/** A counter as prom-client's OpenMetrics rendering sees it, named by its family, without renaming it. */
function counterFamilyView(counter: MetricObject): MetricObject {
  const family = familyName(counter.name)
  return {
    ...counter,
    name: family,
    get: async () => ({ ...(await (counter as RenderableMetric).get()), name: family }),
  } as RenderableMetric
}

export interface RenderedMetrics {
  body: Buffer
  contentType: string
  contentEncoding: 'gzip' | undefined
}

/** The exposition as bytes (UTF-8), gzip-compressed on request. */
export async function renderMetrics(
  registry: Registry,
  format: ExpositionFormat,
  compress: boolean,
): Promise<RenderedMetrics> {
  const bytes = await renderExposition(registry, format)
  const contentType = format === 'openmetrics' ? OPENMETRICS_TEXT : PROMETHEUS_TEXT
  if (!compress) return { body: bytes, contentType, contentEncoding: undefined }
  return { body: await gzip(bytes), contentType, contentEncoding: 'gzip' }
}
