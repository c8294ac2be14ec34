import * as common from '@grafana/grafana-foundation-sdk/common'
import {
  AnnotationQueryBuilder,
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard'
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus'
import * as stat from '@grafana/grafana-foundation-sdk/stat'
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries'
import type { MonitoringConfig } from '../../prometheus/config.js'

/** Every panel and variable queries through the `datasource` variable, so one dashboard serves any Prometheus. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JavaScript template
export const datasource = { type: 'prometheus', uid: '${datasource}' }

/** Counters are summed and gauges maxed without these, so that several replicas read as one exporter. */
export const WITHOUT_REPLICA = 'without (instance, pod)'

/** A drop-down of every dashboard tagged tencent-chat, keeping the time range and variables. */
export function dashboardsLink() {
  return new DashboardLinkBuilder('Tencent Chat dashboards')
    .type(DashboardLinkType.Dashboards)
    .tags(['tencent-chat'])
    .asDropdown(true)
    .includeVars(true)
    .keepTime(true)
}

/** A link to the alerts' runbook, next to the dashboards drop-down. */
export function runbookLink(config: MonitoringConfig) {
  return new DashboardLinkBuilder('Runbook')
    .type(DashboardLinkType.Link)
    .url(config.runbookUrl)
    .icon('doc')
    .tooltip('What each TencentChat alert means and what to do')
    .targetBlank(true)
}

export function datasourceVariable() {
  return new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus')
}

/**
 * A multi-value query variable with "All". All is `.*` rather than the list of values, so series that
 * appeared after the dashboard loaded are not left out.
 */
export function labelVariable(name: string, label: string, selector: string) {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(datasource)
    .query(`label_values(${selector}, ${name})`)
    .definition(`label_values(${selector}, ${name})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all', selected: true })
}

/**
 * Jobs that scrape an exporter: only they have its build_info, so All (the default) means every exporter,
 * whatever its job is called.
 */
export function jobVariable() {
  return labelVariable('job', 'Job', 'tencent_chat_exporter_build_info')
}

/** A range query (time series panels). */
export function query(expr: string, legendFormat = '__auto') {
  return new DataqueryBuilder().datasource(datasource).expr(expr).legendFormat(legendFormat).range()
}

/** An instant query, for stats and tables. */
export function instant(expr: string, legendFormat = '__auto') {
  return new DataqueryBuilder().datasource(datasource).expr(expr).legendFormat(legendFormat).instant()
}

export function tableQuery(expr: string) {
  return instant(expr).format(PromQueryFormat.Table)
}

/**
 * A dashboard of the exporter's: its title, stable uid and description, the configured tags and refresh,
 * the last 6 hours, a shared crosshair, and links to the other dashboards and to the runbook.
 */
export function exporterDashboard(
  config: MonitoringConfig,
  dashboard: { title: string; uid: string; description: string },
) {
  return new DashboardBuilder(dashboard.title)
    .uid(dashboard.uid)
    .description(dashboard.description)
    .tags(config.dashboardTags)
    .time({ from: 'now-6h', to: 'now' })
    .refresh(config.dashboardRefresh)
    .tooltip(DashboardCursorSync.Crosshair)
    .link(dashboardsLink())
    .link(runbookLink(config))
}

/** The columns every per-API table starts with: the labels that name the API. */
const API_COLUMNS: Array<[field: string, title: string]> = [
  ['sdkappid', 'SDKAppID'],
  ['service_name', 'Service'],
  ['command', 'Command'],
]

/**
 * How a per-API table's instant queries become its rows: merged into one row per API, without the target
 * labels that Kubernetes service discovery adds (they say nothing about the API), the API's labels first
 * and then `values` (a query's `Value #A`, ... or another label) in this order, under their titles.
 */
export function perApiTableTransformations(values: Array<[field: string, title: string]>) {
  const columns = [...API_COLUMNS, ...values]
  return [
    { id: 'merge', options: {} },
    {
      id: 'organize',
      options: {
        excludeByName: {
          Time: true,
          job: true,
          namespace: true,
          service: true,
          container: true,
          endpoint: true,
        },
        indexByName: Object.fromEntries(columns.map(([field], index) => [field, index])),
        renameByName: Object.fromEntries(columns),
      },
    },
  ]
}

/** A utilisation column: a percentage on a background coloured by `steps`. */
export function utilisationCell(steps: ReturnType<typeof thresholds>) {
  return [
    { id: 'unit', value: 'percentunit' },
    { id: 'custom.cellOptions', value: { type: 'color-background' } },
    { id: 'thresholds', value: steps.build() },
  ]
}

/** Marks on every time series when a TencentChat alert of the selected apps fired, from Prometheus' ALERTS. */
export function firingAlertsAnnotation() {
  return new AnnotationQueryBuilder()
    .name('TencentChat alerts')
    .datasource(datasource)
    .enable(true)
    .iconColor('red')
    .expr('ALERTS{alertname=~"TencentChat.*", alertstate="firing", sdkappid=~"$sdkappid"}')
    .step('60s')
    .titleFormat('{{alertname}}')
    .textFormat('{{severity}}: v4/{{service_name}}/{{command}} of {{sdkappid}}')
    .tagKeys('severity')
}

/** A stat showing each series' latest value (the SDK leaves the reducer list empty). */
export function statPanel() {
  return new stat.PanelBuilder().reduceOptions(
    new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false),
  )
}

/** Green below the first step, then each step's colour from its value up. */
export function thresholds(steps: Array<[number, string]>) {
  return new ThresholdsConfigBuilder()
    .mode(ThresholdsMode.Absolute)
    .steps([{ value: null, color: 'green' }, ...steps.map(([value, color]) => ({ value, color }))])
}

export function legendTable() {
  return new common.VizLegendOptionsBuilder()
    .displayMode(common.LegendDisplayMode.Table)
    .placement(common.LegendPlacement.Right)
    .showLegend(true)
    .calcs(['lastNotNull', 'max'])
}

/**
 * A counter's per-second rate summed over replicas, one line per label set, with the legend as a table:
 * the shape of every "… per second by …" panel.
 */
export function counterRatePanel(title: string, description: string, selector: string, legendFormat: string) {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .withTarget(query(`sum ${WITHOUT_REPLICA} (rate(${selector}[$__rate_interval]))`, legendFormat))
    .unit('reqps')
    .min(0)
    .legend(legendTable())
    .height(8)
    .span(12)
}

export function thresholdLines() {
  return new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed)
}

export const GAPS_MEAN_BELOW_80 =
  "Chat only reports an API while it runs above 80% of its limit, and the exporter drops the value ALERT_TTL_SECONDS after Chat's latest alarm: a gap means below 80%, not missing data."

/**
 * Fills in what the SDK leaves unset and Grafana would otherwise fill in on load (so that every save of an
 * unchanged dashboard would differ from the committed file): stable panel ids in dashboard order, refIds
 * A, B, ... per panel, the datasource variable on every panel as well as on its queries, and the built-in
 * "Annotations & Alerts" annotation (Grafana expects `annotations.list`). Links stay in the top bar.
 */
export function finalize(dashboard: Dashboard): Dashboard {
  let id = 1
  for (const panel of dashboard.panels ?? []) {
    panel.id = id++
    if (panel.type === 'row') continue
    panel.datasource = datasource
    if ('targets' in panel && Array.isArray(panel.targets)) {
      panel.targets.forEach((target, index) => {
        // Dataquery is an opaque variant type in the SDK; every Prometheus query has a refId.
        ;(target as { refId?: string }).refId = String.fromCharCode(65 + index)
      })
    }
  }
  // The SDK puts links and annotation toggles in Grafana 12's controls menu; beside the variables they are seen.
  for (const link of dashboard.links ?? []) delete link.placement
  dashboard.annotations = {
    list: [
      {
        builtIn: 1,
        datasource: { type: 'grafana', uid: '-- Grafana --' },
        enable: true,
        hide: true,
        iconColor: 'rgba(0, 211, 255, 1)',
        name: 'Annotations & Alerts',
        type: 'dashboard',
      },
      ...(dashboard.annotations?.list ?? []),
    ],
  }
  for (const annotation of dashboard.annotations.list ?? []) delete annotation.placement
  return dashboard
}
