import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import { type MetricObject, Registry } from 'prom-client'
import { familyHeader, formatLabelBlock, valueString } from './exposition-text.js'
import { ExpositionWriter } from './exposition-writer.js'
import { isSelfWriting, type SampleWriter } from './sample-writer.js'

const gzip = promisify(gzipCallback)

export const PROMETHEUS_TEXT = Registry.PROMETHEUS_CONTENT_TYPE
export const OPENMETRICS_TEXT = Registry.OPENMETRICS_CONTENT_TYPE

export type ExpositionFormat = 'text' | 'openmetrics'

/**
 * Samples written before the event loop gets a turn: a scrape of 20,000 tracked APIs (100,000 samples)
 * would otherwise hold back every callback until it is done (one family of 20,000 samples written at
 * once kept callbacks waiting 5 to 8 ms). Small expositions never yield.
 */
const SAMPLES_PER_TURN = 4096
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Renders the registry byte for byte as prom-client 15's `Registry#metrics()` would, in either format,
 * in one pass over its families: each family's `# HELP`/`# TYPE` lines, then its samples, written in
 * slices of SAMPLES_PER_TURN with a turn of the event loop between them.
 *
 * Every family's samples come from a SampleWriter: a store family (src/metrics/store-family.ts) makes
 * its own; for a prom-client metric one is made from what its `get()` returns (below). The registry is
 * never touched: prom-client's own OpenMetrics rendering renames every counter in place
 * (`foo_total` → `foo`), so that the next text scrape would lose the suffix. Default labels
 * (`Registry#setDefaultLabels`) are not applied and exemplars not written: the exporter uses neither.
 */
async function renderExposition(registry: Registry, format: ExpositionFormat): Promise<Buffer> {
  const openMetrics = format === 'openmetrics'
  // As prom-client does: every metric's get() (and so its collect()) starts before any is written.
  const families = await Promise.all(
    registry.getMetricsAsArray().map(async (metric) => {
      const { sampleName, header } = familyHeader(
        { name: metric.name, help: metric.help, type: String(metric.type) },
        openMetrics,
      )
      const samples = isSelfWriting(metric)
        ? metric
        : promClientSamples(await (metric as RenderableMetric).get(), sampleName)
      return { header, samples }
    }),
  )
  const out = new ExpositionWriter(((lastSizes.get(registry) ?? 0) * 9) / 8)
  let room = SAMPLES_PER_TURN
  for (const [i, { header, samples }] of families.entries()) {
    out.writeText(i === 0 ? header : `${openMetrics ? '\n' : '\n\n'}${header}`)
    const writeSlice = samples.sampleWriter()
    for (;;) {
      const written = writeSlice(out, room)
      if (written < room) {
        room -= written
        break
      }
      room = SAMPLES_PER_TURN
      await nextTurn()
    }
  }
  out.writeText(openMetrics ? '\n# EOF\n' : '\n')
  const bytes = out.finish()
  lastSizes.set(registry, bytes.length)
  return bytes
}

/** The size of each registry's latest exposition: the next one is written into a buffer that large. */
const lastSizes = new WeakMap<Registry, number>()

type RenderableMetric = MetricObject & { get(): Promise<MetricObject> }
interface PromClientSample {
  value: number
  labels?: Record<string, string | number>
  /** A histogram's `_bucket`, `_sum` and `_count` samples are named; a counter's and a gauge's are not. */
  metricName?: string
}

/** The samples of a prom-client metric as its `get()` returned them, named as prom-client names them. */
function promClientSamples(data: MetricObject, sampleName: string): { sampleWriter(): SampleWriter } {
  const samples = ((data as MetricObject & { values?: PromClientSample[] }).values ??
    []) as PromClientSample[]
  return {
    sampleWriter() {
      let next = 0
      return (out, max) => {
        const end = Math.min(samples.length, next + max)
        let text = ''
        for (const sample of samples.slice(next, end)) {
          text += `\n${sample.metricName ?? sampleName}${labelBlock(sample.labels)} ${valueString(sample.value)}`
        }
        out.writeText(text)
        const written = end - next
        next = end
        return written
      }
    },
  }
}

const labelBlocks = new WeakMap<object, string>()

/**
 * `{name="value",…}`, cached per label object: a prom-client counter or gauge keeps the label object it
 * was first given for a label set, and nothing in the exporter changes one after handing it over, so the
 * block of a label set is formatted once rather than at every scrape.
 */
function labelBlock(labels: PromClientSample['labels']): string {
  if (labels === undefined) return ''
  let block = labelBlocks.get(labels)
  if (block === undefined) {
    block = formatLabelBlock(labels)
    labelBlocks.set(labels, block)
  }
  return block
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
