import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard'

export interface PanelQuery {
  dashboard: string
  panel: string
  expr: string
  instant: boolean
  datasourceUid: string | undefined
}

export interface VariableQuery {
  dashboard: string
  variable: string
  query: string
  datasourceUid: string | undefined
}

interface RawPanel {
  type: string
  title?: string
  datasource?: { uid?: string }
  targets?: Array<{ expr?: string; instant?: boolean; datasource?: { uid?: string } }>
  panels?: RawPanel[]
}

function panelsOf(dashboard: Dashboard): RawPanel[] {
  const top = (dashboard.panels ?? []) as RawPanel[]
  return top.flatMap((panel) => [panel, ...(panel.panels ?? [])])
}

/** Every PromQL expression of every panel of a dashboard (rows included, collapsed or not). */
export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return panelsOf(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      dashboard: dashboard.title ?? '',
      panel: panel.title ?? panel.type,
      expr: target.expr ?? '',
      instant: target.instant === true,
      datasourceUid: target.datasource?.uid ?? panel.datasource?.uid,
    })),
  )
}

/** Every query variable of a dashboard. */
export function variableQueries(dashboard: Dashboard): VariableQuery[] {
  return (dashboard.templating?.list ?? [])
    .filter((variable) => variable.type === 'query')
    .map((variable) => ({
      dashboard: dashboard.title ?? '',
      variable: variable.name,
      query: String(variable.query ?? ''),
      datasourceUid: variable.datasource?.uid,
    }))
}

/**
 * A variable query as PromQL: `label_values(selector, label)` asks Prometheus for the label's values
 * of the selector's series, which `count by (label) (selector)` also does, as a query.
 */
export function variableAsPromql(query: string): string {
  const match = /^label_values\((.*),\s*(\w+)\)$/s.exec(query.trim())
  if (!match) return query
  return `count by (${match[2]}) (${match[1]})`
}

/** What Grafana substitutes before sending a query, with every variable at "All" (`.*`). */
export function substitute(expr: string, options: { rateInterval: string; range: string }): string {
  return expr
    .replaceAll('$__rate_interval', options.rateInterval)
    .replaceAll('$__range', options.range)
    .replace(/\$(\w+)/g, '.*')
}

export interface AnnotationQuery {
  dashboard: string
  annotation: string
  expr: string
  datasourceUid: string | undefined
}

/** Every Prometheus annotation query of a dashboard (the built-in Grafana one has no expression). */
export function annotationQueries(dashboard: Dashboard): AnnotationQuery[] {
  return (dashboard.annotations?.list ?? [])
    .filter((annotation) => annotation.expr !== undefined)
    .map((annotation) => ({
      dashboard: dashboard.title ?? '',
      annotation: annotation.name,
      expr: annotation.expr ?? '',
      datasourceUid: annotation.datasource?.uid,
    }))
}
