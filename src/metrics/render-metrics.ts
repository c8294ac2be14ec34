import { promisify } from 'node:util'
import { gzip as gzipCallback } from 'node:zlib'
import { type Metric, type MetricObject, type OpenMetricsContentType, Registry } from 'prom-client'

const gzip = promisify(gzipCallback)

export const PROMETHEUS_TEXT = Registry.PROMETHEUS_CONTENT_TYPE
export const OPENMETRICS_TEXT = Registry.OPENMETRICS_CONTENT_TYPE

export type ExpositionFormat = 'text' | 'openmetrics'

/**
 * Renders the registry in the OpenMetrics format without touching it. prom-client 15 renders
 * OpenMetrics by renaming every counter in place (`foo_total` → `foo`), so the next text scrape would
 * lose the `_total` suffix. Instead, each metric is shown to a throw-away OpenMetrics registry through
 * a view whose `get()` reports the counter's OpenMetrics family name; the real metrics are never renamed.
 */
async function renderOpenMetrics(registry: Registry): Promise<string> {
  const view = new Registry<OpenMetricsContentType>()
  view.setContentType(OPENMETRICS_TEXT)
  for (const metric of registry.getMetricsAsArray()) {
    view.registerMetric(
      (String(metric.type) === 'counter' ? counterFamilyView(metric) : metric) as unknown as Metric,
    )
  }
  return view.metrics()
}

type RenderableMetric = MetricObject & { get(): Promise<MetricObject> }

function counterFamilyView(counter: MetricObject): MetricObject {
  const family = counter.name.replace(/_total$/, '')
  return {
    ...counter,
    name: family,
    get: async () => ({ ...(await (counter as RenderableMetric).get()), name: family }),
  } as RenderableMetric
}

export interface RenderedMetrics {
  body: string | Buffer
  contentType: string
  contentEncoding: 'gzip' | undefined
}

export async function renderMetrics(
  registry: Registry,
  format: ExpositionFormat,
  compress: boolean,
): Promise<RenderedMetrics> {
  const text = format === 'openmetrics' ? await renderOpenMetrics(registry) : await registry.metrics()
  const contentType = format === 'openmetrics' ? OPENMETRICS_TEXT : PROMETHEUS_TEXT
  if (!compress) return { body: text, contentType, contentEncoding: undefined }
  return { body: await gzip(text), contentType, contentEncoding: 'gzip' }
}
