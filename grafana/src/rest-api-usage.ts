import * as common from '@grafana/grafana-foundation-sdk/common'
import {
  AnnotationQueryBuilder,
  type Dashboard,
  MappingType,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard'
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap'
import { PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus'
import * as table from '@grafana/grafana-foundation-sdk/table'
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries'
import type { MonitoringConfig } from '../../prometheus/config.js'
import { countedWithin, errorCodesMatching, knownLimitExpr } from '../../prometheus/src/rest-meter-rules.js'
import {
  counterRatePanel,
  datasource,
  datasourceVariable,
  exporterDashboard,
  finalize,
  firingAlertsAnnotation,
  instant,
  jobVariable,
  labelVariable,
  legendTable,
  perApiTableTransformations,
  query,
  statPanel,
  tableQuery,
  thresholdLines,
  thresholds,
  utilisationCell,
  WITHOUT_REPLICA,
} from './common.js'

export const REST_API_USAGE_UID = 'tencent-chat-rest-usage'

export const SUMMED_PEAKS =
  "Each meter (one per app replica, or per exporter replica) sees part of the app's calls: their peaks are added, an upper bound of the app's busiest second, since the meters' busiest seconds need not coincide."

/**
 * Tencent Chat / REST API usage: the app's own REST calls to Chat as the REST meter (EGRESS_PORT)
 * measures them, every call and every API, below Chat's 80% alarm line too.
 */
export function restApiUsageDashboard(config: MonitoringConfig): Dashboard {
  const app = 'job=~"$job", sdkappid=~"$sdkappid"'
  const job = 'job=~"$job"'
  const apiLegend = '{{sdkappid}} {{service_name}}/{{command}}'
  const peak = `sum ${WITHOUT_REPLICA} (tencent_chat_rest_peak_requests_per_second{${app}})`
  const limit = knownLimitExpr(app, WITHOUT_REPLICA)
  const utilisation = `${peak}\n/ ignoring (source)\n(${limit})`
  const requestRate = (matchers: string, without: string) =>
    `sum without (instance, pod, ${without}) (rate(tencent_chat_rest_requests_total{${app}${matchers}}[$__rate_interval]))`
  const throttling = errorCodesMatching('throttling')
  const throttled = `tencent_chat_rest_requests_total{${app}, error_code=~"${throttling}"}`
  const bucketRate = `rate(tencent_chat_rest_request_duration_seconds_bucket{${app}}[$__rate_interval])`
  const utilisationThresholds = thresholds([
    [config.restNearLimitRatio, 'orange'],
    [config.apiNearLimitRatio, 'red'],
  ])

  const builder = exporterDashboard(config, {
    title: 'Tencent Chat / REST API usage',
    uid: REST_API_USAGE_UID,
    description:
      "The app's REST calls to Tencent Cloud Chat, measured by the exporter's REST meter (EGRESS_PORT): calls, busiest second against each API's limit, Chat's error codes, latency and failures.",
  })
    .annotation(firingAlertsAnnotation())
    .annotation(
      new AnnotationQueryBuilder()
        .name('Throttled calls')
        .datasource(datasource)
        .enable(true)
        .iconColor('orange')
        .expr(
          `sum without (instance, pod, action_status) (${countedWithin(throttled, '$__rate_interval')}) > 0`,
        )
        .step('60s')
        .titleFormat('Chat throttled calls: ErrorCode {{error_code}}')
        .textFormat('v4/{{service_name}}/{{command}} of {{sdkappid}}')
        .tagKeys('error_code'),
    )
    .withVariable(datasourceVariable())
    .withVariable(jobVariable())
    .withVariable(labelVariable('sdkappid', 'SDKAppID', 'tencent_chat_rest_requests_total{job=~"$job"}'))

    .withRow(new RowBuilder('Now'))
    .withPanel(
      statPanel()
        .title(`APIs at ${config.restNearLimitRatio * 100}% or more of their limit`)
        .description(
          `APIs whose busiest second of the last minute reached ${config.restNearLimitRatio} of their known limit (the TencentChatRestApiNearLimit line; Chat alarms from ${config.apiNearLimitRatio}). ${SUMMED_PEAKS}`,
        )
        .withTarget(instant(`count((${utilisation}) >= ${config.restNearLimitRatio}) or vector(0)`))
        .thresholds(thresholds([[1, 'orange']]))
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.None)
        .height(5)
        .span(6),
    )
    .withPanel(
      statPanel()
        .title('Calls per second')
        .description("The app's REST calls that Chat answered, per second, all APIs and meters together.")
        .withTarget(instant(`sum(rate(tencent_chat_rest_requests_total{${app}}[$__rate_interval]))`))
        .unit('reqps')
        .graphMode(common.BigValueGraphMode.Area)
        .height(5)
        .span(6),
    )
    .withPanel(
      statPanel()
        .title('Throttled calls in range')
        .description(
          `Calls Chat refused for their rate in the dashboard time range: 60007 (an API's limit), 60011 (the app's) and the other throttling codes (${throttling.replaceAll('|', ', ')}).`,
        )
        .withTarget(instant(`sum(${countedWithin(throttled, '$__range')}) or vector(0)`))
        .decimals(0)
        .thresholds(thresholds([[1, 'red']]))
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.None)
        .height(5)
        .span(6),
    )
    .withPanel(
      statPanel()
        .title('Calls without an answer in range')
        .description(
          'Calls that got no answer from Chat in the dashboard time range: unreachable (connection refused or reset, TLS failure) or timed out (CHAT_REST_TIMEOUT_MS).',
        )
        .withTarget(
          instant(
            `sum(${countedWithin(`tencent_chat_rest_failures_total{${app}}`, '$__range')}) or vector(0)`,
          ),
        )
        .decimals(0)
        .thresholds(thresholds([[1, 'red']]))
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.None)
        .height(5)
        .span(6),
    )
    .withPanel(
      new table.PanelBuilder()
        .title('Top APIs by peak utilisation')
        .description(
          `Every API the app called within ALERT_TTL_SECONDS, busiest first: its busiest second of the last minute against its known limit, and where the limit comes from (configured: API_LIMITS_FILE; alarm: Chat's latest Alert.RequestOverLimit; documented: Tencent's published default). Orange from ${config.restNearLimitRatio}, red from ${config.apiNearLimitRatio}, where Chat starts alarming. ${SUMMED_PEAKS}`,
        )
        .withTarget(tableQuery(utilisation))
        .withTarget(tableQuery(peak))
        .withTarget(tableQuery(limit))
        .withTarget(tableQuery(requestRate('', 'action_status, error_code')))
        .transformations(
          perApiTableTransformations([
            ['Value #A', 'Peak utilisation'],
            ['Value #B', 'Peak calls/s'],
            ['Value #C', 'Limit (calls/s)'],
            ['source', 'Limit source'],
            ['Value #D', 'Calls/s'],
          ]),
        )
        .overrideByName('Peak utilisation', utilisationCell(utilisationThresholds))
        .overrideByName('Calls/s', [{ id: 'unit', value: 'reqps' }])
        .sortBy([new common.TableSortByFieldStateBuilder().displayName('Peak utilisation').desc(true)])
        .height(10)
        .span(24),
    )

    .withRow(new RowBuilder('Calls and limits'))
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Peak utilisation per API')
        .description(
          `Busiest second of the last minute over the known limit, per API, with lines at ${config.restNearLimitRatio} (the REST near-limit warning) and ${config.apiNearLimitRatio} (Chat's alarm). A gap: no call to the API for ALERT_TTL_SECONDS, or no known limit. ${SUMMED_PEAKS} The dashed line is the busiest single meter's own figure: a lower bound.`,
        )
        .withTarget(query(utilisation, apiLegend))
        .withTarget(
          query(
            `max ${WITHOUT_REPLICA} (tencent_chat_rest_peak_utilization_ratio{${app}})`,
            `${apiLegend} busiest meter`,
          ),
        )
        .overrideByRegexp('.* busiest meter$', [
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
        ])
        .unit('percentunit')
        .min(0)
        .thresholds(utilisationThresholds)
        .thresholdsStyle(thresholdLines())
        .legend(legendTable())
        .height(9)
        .span(24),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Calls and peak per second against the limit')
        .description(
          "Per API: calls per second averaged over the scrape interval (solid), the busiest second of the last minute (the figure Chat's limit is counted against, which an average hides), and the known limit (dashed, with its source).",
        )
        .withTarget(query(requestRate('', 'action_status, error_code'), `${apiLegend} calls/s`))
        .withTarget(query(peak, `${apiLegend} peak`))
        .withTarget(query(limit, `${apiLegend} limit ({{source}})`))
        .unit('reqps')
        .min(0)
        .overrideByRegexp('.* limit \\(.*\\)$', [
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
        ])
        .legend(legendTable())
        .height(9)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Error codes over time')
        .description(
          "Chat's answers with an ErrorCode other than 0, per second, by code and API. Codes: 60007/60011 throttled, 700xx UserSig, 70500/909xx internal errors, 60008 and other timeouts, other: not a documented code. The orange marks are throttled calls.",
        )
        .withTarget(
          query(
            requestRate(', error_code!="0"', 'action_status'),
            '{{error_code}} v4/{{service_name}}/{{command}}',
          ),
        )
        .unit('reqps')
        .min(0)
        .legend(legendTable())
        .height(9)
        .span(12),
    )

    .withRow(new RowBuilder('Latency and failures'))
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Latency percentiles')
        .description(
          "Time from a call's first byte at the meter to the last byte of Chat's answer, all selected APIs together. Chat's backend gives up at 3 s.",
        )
        .targets(
          [0.5, 0.9, 0.99].map((q) =>
            query(`histogram_quantile(${q}, sum by (le) (${bucketRate}))`, `p${Math.round(q * 100)}`),
          ),
        )
        .withTarget(
          query(`histogram_quantile(0.99, sum ${WITHOUT_REPLICA} (${bucketRate}))`, `p99 ${apiLegend}`),
        )
        .unit('s')
        .min(0)
        .thresholds(thresholds([[config.restLatencyP99Seconds, 'red']]))
        .thresholdsStyle(thresholdLines())
        .legend(legendTable())
        .height(9)
        .span(12),
    )
    .withPanel(
      new heatmap.PanelBuilder()
        .title('Latency heatmap')
        .description("How many calls took how long, per interval, from the meter's histogram buckets.")
        .withTarget(
          query(
            `sum by (le) (increase(tencent_chat_rest_request_duration_seconds_bucket{${app}}[$__rate_interval]))`,
            '{{le}}',
          ).format(PromQueryFormat.Heatmap),
        )
        .calculate(false)
        .color(
          new heatmap.HeatmapColorOptionsBuilder()
            .mode(heatmap.HeatmapColorMode.Scheme)
            .scheme('Oranges')
            .scale(heatmap.HeatmapColorScale.Exponential)
            .exponent(0.5)
            .steps(64)
            .fill('dark-orange')
            .reverse(false),
        )
        .yAxis(new heatmap.YAxisConfigBuilder().unit('s'))
        .cellValues(new heatmap.CellValuesBuilder().unit('short'))
        .height(9)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Failures')
        .description(
          "Calls per second that got no answer from Chat, by reason and API: chat_unreachable (connection refused or reset, TLS failure, not HTTP) or chat_timeout (CHAT_REST_TIMEOUT_MS). The app got the meter's 502 or 504.",
        )
        .withTarget(
          query(
            `sum ${WITHOUT_REPLICA} (rate(tencent_chat_rest_failures_total{${app}}[$__rate_interval]))`,
            '{{reason}} v4/{{service_name}}/{{command}}',
          ),
        )
        .unit('reqps')
        .min(0)
        .legend(legendTable())
        .height(8)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('In flight')
        .description('Calls forwarded to Chat and waiting for its answer now, all meters together.')
        .withTarget(
          query(`sum ${WITHOUT_REPLICA} (tencent_chat_rest_requests_in_flight{${job}})`, 'in flight'),
        )
        .unit('short')
        .min(0)
        .height(8)
        .span(12),
    )

    .withRow(new RowBuilder('Meter'))
    .withPanel(
      counterRatePanel(
        'Meter refusals by reason',
        'Requests the meter refused itself, which Chat never saw: not_a_chat_api (not POST /v4/<service>/<command>), method_not_allowed, sdkappid_not_allowed, body_too_large (REST_BODY_LIMIT_BYTES). Anything here is the app calling the meter wrongly.',
        `tencent_chat_exporter_rejected_rest_requests_total{${job}}`,
        '{{reason}}',
      ),
    )
    .withPanel(
      statPanel()
        .title('API_LIMITS_FILE')
        .description(
          'Whether every meter could use API_LIMITS_FILE after it last changed (Failing: one kept the limits it had; its log says why). Empty when no meter reads a limits file.',
        )
        .withTarget(instant(`min(tencent_chat_exporter_api_limits_file_last_reload_successful{${job}})`))
        .mappings([
          {
            type: MappingType.ValueToText,
            options: { '0': { text: 'Failing', color: 'red' }, '1': { text: 'OK', color: 'green' } },
          },
        ])
        .noValue('not set')
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.None)
        .height(8)
        .span(12),
    )

  return finalize(builder.build())
}
