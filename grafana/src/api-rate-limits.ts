import * as common from '@grafana/grafana-foundation-sdk/common'
import {
  type Dashboard,
  DashboardLinkBuilder,
  DashboardLinkType,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard'
import * as table from '@grafana/grafana-foundation-sdk/table'
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries'
import type { MonitoringConfig } from '../../prometheus/config.js'
import {
  datasourceVariable,
  exporterDashboard,
  finalize,
  firingAlertsAnnotation,
  GAPS_MEAN_BELOW_80,
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
import { REST_API_USAGE_UID } from './rest-api-usage.js'

export const API_RATE_LIMITS_UID = 'tencent-chat-api-limits'

/** Tencent Chat / API rate limits: which REST APIs run close to or over their frequency limit, and since when. */
export function apiRateLimitsDashboard(config: MonitoringConfig): Dashboard {
  const api = 'job=~"$job", sdkappid=~"$sdkappid", service_name=~"$service_name", command=~"$command"'
  const app = 'job=~"$job", sdkappid=~"$sdkappid"'
  const near = config.apiNearLimitRatio
  const over = config.apiOverLimitRatio
  const utilisation = `max ${WITHOUT_REPLICA} (tencent_chat_api_utilization_ratio{${api}})`
  const apiLegend = '{{sdkappid}} {{service_name}}/{{command}}'
  const apiThresholds = thresholds([
    [near, 'orange'],
    [over, 'red'],
  ])

  const builder = exporterDashboard(config, {
    title: 'Tencent Chat / API rate limits',
    uid: API_RATE_LIMITS_UID,
    description:
      "Tencent Cloud Chat REST APIs running above 80% of their frequency limit, from Chat's Alert.RequestOverLimit callbacks.",
  })
    .link(
      // The same app's every call, as the REST meter counts them: below Chat's 80% too.
      new DashboardLinkBuilder('REST API usage')
        .type(DashboardLinkType.Link)
        .url(`/d/${REST_API_USAGE_UID}`)
        .icon('dashboard')
        .tooltip(
          "The app's own REST calls, measured by the REST meter (EGRESS_PORT): below 80% of the limit too",
        )
        .keepTime(true)
        .includeVars(true),
    )
    .annotation(firingAlertsAnnotation())
    .withVariable(datasourceVariable())
    .withVariable(jobVariable())
    .withVariable(labelVariable('sdkappid', 'SDKAppID', 'tencent_chat_exporter_callbacks_total{job=~"$job"}'))
    .withVariable(
      labelVariable(
        'service_name',
        'Service',
        'tencent_chat_api_request_limit_per_second{job=~"$job", sdkappid=~"$sdkappid"}',
      ),
    )
    .withVariable(
      labelVariable(
        'command',
        'Command',
        'tencent_chat_api_request_limit_per_second{job=~"$job", sdkappid=~"$sdkappid", service_name=~"$service_name"}',
      ),
    )

    .withRow(new RowBuilder('Now'))
    .withPanel(
      statPanel()
        .title('APIs above 80% of their limit')
        .description(`Tracked APIs whose latest utilisation is at least ${near}. ${GAPS_MEAN_BELOW_80}`)
        .withTarget(instant(`count(${utilisation} >= ${near}) or vector(0)`))
        .thresholds(thresholds([[1, 'orange']]))
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.None)
        .height(5)
        .span(6),
    )
    .withPanel(
      statPanel()
        .title('APIs over their limit')
        .description(
          `Tracked APIs whose latest utilisation is at least ${over}: Chat is throttling them now. ${GAPS_MEAN_BELOW_80}`,
        )
        .withTarget(instant(`count(${utilisation} >= ${over}) or vector(0)`))
        .thresholds(thresholds([[1, 'red']]))
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.None)
        .height(5)
        .span(6),
    )
    .withPanel(
      statPanel()
        .title('Rate-limit alarms in range')
        .description('Alert.RequestOverLimit callbacks received in the dashboard time range.')
        .withTarget(
          instant(`sum(increase(tencent_chat_api_overlimit_alerts_total{${api}}[$__range])) or vector(0)`),
        )
        .decimals(0)
        .graphMode(common.BigValueGraphMode.None)
        .height(5)
        .span(6),
    )
    .withPanel(
      statPanel()
        .title('Highest group daily quota use')
        .description(
          "Highest QuotaUsed / Quota among the selected apps' latest Group.CallbackOnDailyGroupQuotaAlarm. Chat alarms from 70%; empty means no alarm within ALERT_TTL_SECONDS.",
        )
        .withTarget(instant(`max(tencent_chat_group_daily_quota_utilization_ratio{${app}})`))
        .unit('percentunit')
        .thresholds(thresholds([[config.groupQuotaNearLimitRatio, 'red']]))
        .graphMode(common.BigValueGraphMode.None)
        .noValue('below 70%')
        .height(5)
        .span(6),
    )
    .withPanel(
      new table.PanelBuilder()
        .title('Tracked APIs')
        .description(
          `Every API Chat has alarmed about and the exporter still tracks. QPS and utilisation are empty once ALERT_TTL_SECONDS pass without an alarm (the API is then below 80%); limit, alarms and last alarm stay while it is tracked.`,
        )
        .withTarget(tableQuery(`max ${WITHOUT_REPLICA} (tencent_chat_api_requests_per_second{${api}})`))
        .withTarget(tableQuery(`max ${WITHOUT_REPLICA} (tencent_chat_api_request_limit_per_second{${api}})`))
        .withTarget(tableQuery(utilisation))
        .withTarget(
          tableQuery(
            `sum ${WITHOUT_REPLICA} (increase(tencent_chat_api_overlimit_alerts_total{${api}}[$__range]))`,
          ),
        )
        .withTarget(
          tableQuery(
            `time() - max ${WITHOUT_REPLICA} (tencent_chat_api_last_alert_timestamp_seconds{${api}})`,
          ),
        )
        .transformations(
          perApiTableTransformations([
            ['Value #A', 'QPS'],
            ['Value #B', 'Limit (QPS)'],
            ['Value #C', 'Utilisation'],
            ['Value #D', 'Alarms in range'],
            ['Value #E', 'Since last alarm'],
          ]),
        )
        .overrideByName('Utilisation', utilisationCell(apiThresholds))
        .overrideByName('Since last alarm', [{ id: 'unit', value: 's' }])
        .overrideByName('Alarms in range', [{ id: 'decimals', value: 0 }])
        .sortBy([new common.TableSortByFieldStateBuilder().displayName('Utilisation').desc(true)])
        .height(10)
        .span(24),
    )

    .withRow(new RowBuilder('Over time'))
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Utilisation per API')
        .description(
          `Request / Limit of Chat's latest alarm per API, with lines at ${near} and ${over}. ${GAPS_MEAN_BELOW_80}`,
        )
        .withTarget(query(utilisation, apiLegend))
        .unit('percentunit')
        .min(0)
        .thresholds(apiThresholds)
        .thresholdsStyle(thresholdLines())
        .legend(legendTable())
        .height(9)
        .span(24),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('QPS against limit')
        .description(`Reported QPS (solid) and the API's QPS limit (dashed). ${GAPS_MEAN_BELOW_80}`)
        .withTarget(
          query(`max ${WITHOUT_REPLICA} (tencent_chat_api_requests_per_second{${api}})`, `${apiLegend} QPS`),
        )
        .withTarget(
          query(
            `max ${WITHOUT_REPLICA} (tencent_chat_api_request_limit_per_second{${api}})`,
            `${apiLegend} limit`,
          ),
        )
        .unit('reqps')
        .min(0)
        .overrideByRegexp('.* limit$', [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }])
        .legend(legendTable())
        .height(9)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Rate-limit alarms per minute')
        .description(
          'How often Chat sends Alert.RequestOverLimit for each API (it repeats while the API stays above 80%).',
        )
        .withTarget(
          query(
            `60 * sum ${WITHOUT_REPLICA} (rate(tencent_chat_api_overlimit_alerts_total{${api}}[$__rate_interval]))`,
            apiLegend,
          ),
        )
        .unit('short')
        .min(0)
        .legend(legendTable())
        .height(9)
        .span(12),
    )

    .withRow(new RowBuilder('Group daily quota'))
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Group daily quota used')
        .description(
          `QuotaUsed / Quota of the latest Group.CallbackOnDailyGroupQuotaAlarm per app, with a line at ${config.groupQuotaNearLimitRatio}. Chat alarms above 70%; a gap means below that.`,
        )
        .withTarget(
          query(
            `max ${WITHOUT_REPLICA} (tencent_chat_group_daily_quota_utilization_ratio{${app}})`,
            '{{sdkappid}}',
          ),
        )
        .unit('percentunit')
        .min(0)
        .thresholds(thresholds([[config.groupQuotaNearLimitRatio, 'red']]))
        .thresholdsStyle(thresholdLines())
        .height(8)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Net group increase against quota')
        .description("Today's net increase of groups (created minus dissolved) and the daily quota, per app.")
        .withTarget(
          query(
            `max ${WITHOUT_REPLICA} (tencent_chat_group_daily_net_increase{${app}})`,
            '{{sdkappid}} used',
          ),
        )
        .withTarget(
          query(`max ${WITHOUT_REPLICA} (tencent_chat_group_daily_quota{${app}})`, '{{sdkappid}} quota'),
        )
        .withTarget(
          query(
            `60 * sum ${WITHOUT_REPLICA} (rate(tencent_chat_group_quota_alerts_total{${app}}[$__rate_interval]))`,
            '{{sdkappid}} alarms/min',
          ),
        )
        .overrideByRegexp('.* quota$', [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }])
        .overrideByRegexp('.* alarms/min$', [
          { id: 'custom.axisPlacement', value: 'right' },
          { id: 'custom.drawStyle', value: 'bars' },
        ])
        .min(0)
        .height(8)
        .span(12),
    )

  return finalize(builder.build())
}
