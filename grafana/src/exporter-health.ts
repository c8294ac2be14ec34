import * as common from '@grafana/grafana-foundation-sdk/common'
import { type Dashboard, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries'
import type { MonitoringConfig } from '../../prometheus/config.js'
import {
  counterRatePanel,
  datasourceVariable,
  exporterDashboard,
  finalize,
  instant,
  jobVariable,
  legendTable,
  query,
  statPanel,
  thresholds,
  WITHOUT_REPLICA,
} from './common.js'

export const EXPORTER_HEALTH_UID = 'tencent-chat-exporter-health'

/** Tencent Chat exporter / health: is the exporter receiving, accepting and keeping Chat's callbacks? */
export function exporterHealthDashboard(config: MonitoringConfig): Dashboard {
  const job = 'job=~"$job"'
  const quantiles = [0.5, 0.9, 0.99]

  const builder = exporterDashboard(config, {
    title: 'Tencent Chat exporter / health',
    uid: EXPORTER_HEALTH_UID,
    description: 'Callbacks, rejections, series cap, latency and process health of tencent-chat-exporter.',
  })
    .withVariable(datasourceVariable())
    .withVariable(jobVariable())

    .withRow(new RowBuilder('Overview'))
    .withPanel(
      statPanel()
        .title('Replicas up')
        .description('Exporter replicas Prometheus scrapes successfully now.')
        .withTarget(instant(`sum(up{${job}})`))
        .thresholds(
          thresholds([]).steps([
            { value: null, color: 'red' },
            { value: 1, color: 'green' },
          ]),
        )
        .colorMode(common.BigValueColorMode.Background)
        .graphMode(common.BigValueGraphMode.None)
        .height(4)
        .span(6),
    )
    .withPanel(
      statPanel()
        .title('Version')
        .description(
          'Exporter versions running (tencent_chat_exporter_build_info), with the replicas on each.',
        )
        .withTarget(
          instant(
            `count by (version, nodejs_version) (tencent_chat_exporter_build_info{${job}})`,
            '{{version}} (Node.js {{nodejs_version}})',
          ),
        )
        .textMode(common.BigValueTextMode.Name)
        .graphMode(common.BigValueGraphMode.None)
        .height(4)
        .span(6),
    )
    .withPanel(
      statPanel()
        .title('Tracked APIs')
        .description(
          'APIs tracked now by the fullest replica; each replica tracks at most MAX_SERIES (see "Tracked APIs against the cap").',
        )
        .withTarget(instant(`max(tencent_chat_exporter_tracked_apis{${job}})`))
        .graphMode(common.BigValueGraphMode.Area)
        .height(4)
        .span(6),
    )
    .withPanel(
      statPanel()
        .title('Alert TTL')
        .description(
          "ALERT_TTL_SECONDS: how long an alarm's QPS and utilisation stay exposed after Chat's latest alarm.",
        )
        .withTarget(instant(`max(tencent_chat_exporter_alert_ttl_seconds{${job}})`))
        .unit('s')
        .graphMode(common.BigValueGraphMode.None)
        .height(4)
        .span(6),
    )

    .withRow(new RowBuilder('Callbacks'))
    .withPanel(
      counterRatePanel(
        'Callbacks by command',
        'Accepted callbacks per second, by SDKAppID and CallbackCommand, all replicas together.',
        `tencent_chat_exporter_callbacks_total{${job}}`,
        '{{sdkappid}} {{callback_command}}',
      ),
    )
    .withPanel(
      counterRatePanel(
        'Rejections by reason',
        'Rejected requests per second. missing_signature, bad_signature, stale_request and sdkappid_not_allowed mean a token or SDKAppID mismatch with the Chat console, clock skew, or someone probing the URL.',
        `tencent_chat_exporter_rejected_callbacks_total{${job}}`,
        '{{reason}}',
      ),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Dropped alarms')
        .description(
          'Valid alarms answered OK but not turned into series because every one of MAX_SERIES tracked APIs is within its TTL. Anything above zero hides APIs from the rate-limit dashboard.',
        )
        .withTarget(
          query(
            `sum ${WITHOUT_REPLICA} (rate(tencent_chat_exporter_dropped_alerts_total{${job}}[$__rate_interval]))`,
            '{{reason}}',
          ),
        )
        .unit('reqps')
        .min(0)
        .height(8)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Tracked APIs against the cap')
        .description('Tracked APIs and group-quota apps of the fullest replica, against MAX_SERIES (dashed).')
        .withTarget(
          query(`max ${WITHOUT_REPLICA} (tencent_chat_exporter_tracked_apis{${job}})`, 'tracked APIs'),
        )
        .withTarget(
          query(
            `max ${WITHOUT_REPLICA} (tencent_chat_exporter_tracked_group_quota_apps{${job}})`,
            'tracked group-quota apps',
          ),
        )
        .withTarget(query(`max ${WITHOUT_REPLICA} (tencent_chat_exporter_max_series{${job}})`, 'MAX_SERIES'))
        .overrideByName('MAX_SERIES', [
          { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
          { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
        ])
        .min(0)
        .height(8)
        .span(12),
    )

    .withRow(new RowBuilder('HTTP and process'))
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Request latency percentiles')
        .description('Time to answer, by route, all replicas together. Chat waits 2 s for a callback answer.')
        .targets(
          quantiles.map((q) =>
            query(
              `histogram_quantile(${q}, sum without (instance, pod, method, status) (rate(tencent_chat_exporter_http_request_duration_seconds_bucket{${job}}[$__rate_interval])))`,
              `p${q * 100} {{route}}`,
            ),
          ),
        )
        .unit('s')
        .min(0)
        .legend(legendTable())
        .height(8)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Requests by route and status')
        .withTarget(
          query(
            `sum without (instance, pod, method) (rate(tencent_chat_exporter_http_request_duration_seconds_count{${job}}[$__rate_interval]))`,
            '{{route}} {{status}}',
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
        .title('Resident memory')
        .description('Per replica: process health is a property of each process.')
        .withTarget(query(`process_resident_memory_bytes{${job}}`, '{{instance}}'))
        .withTarget(query(`nodejs_heap_size_used_bytes{${job}}`, '{{instance}} heap used'))
        .unit('bytes')
        .min(0)
        .height(8)
        .span(8),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Event-loop lag (p99)')
        .description(
          'Per replica. Sustained lag above a few tens of milliseconds delays every callback answer.',
        )
        .withTarget(query(`nodejs_eventloop_lag_p99_seconds{${job}}`, '{{instance}}'))
        .unit('s')
        .min(0)
        .height(8)
        .span(8),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('CPU')
        .description('CPU seconds per second, per replica.')
        .withTarget(query(`rate(process_cpu_seconds_total{${job}}[$__rate_interval])`, '{{instance}}'))
        .unit('percentunit')
        .min(0)
        .height(8)
        .span(8),
    )

    .withRow(new RowBuilder('Callback tokens'))
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Callback tokens in force')
        .description(
          'Per replica: tokens a Sign may match (0: Sign verification is off). During a rotation it goes to 2 on every replica before the Chat console changes, then back to 1.',
        )
        .withTarget(query(`tencent_chat_exporter_callback_tokens{${job}}`, '{{instance}}'))
        .min(0)
        .decimals(0)
        .height(8)
        .span(8),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Token file reloads')
        .description(
          'Per replica, CALLBACK_TOKEN_FILE only: 1 when the latest read of the changed file succeeded, 0 when it failed and the old tokens stay in force (TencentChatExporterTokenReloadFailing); failed reads of all replicas in the interval beside it.',
        )
        .withTarget(
          query(
            `tencent_chat_exporter_token_file_last_reload_successful{${job}}`,
            '{{instance}} last read ok',
          ),
        )
        .withTarget(
          query(
            `sum(increase(tencent_chat_exporter_token_file_reload_failures_total{${job}}[$__rate_interval]))`,
            'failed reads, all replicas',
          ),
        )
        .min(0)
        .height(8)
        .span(8),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Since the last good token file read')
        .description(
          'Per replica, CALLBACK_TOKEN_FILE only: time since the file was last read successfully (start-up or a change).',
        )
        .withTarget(
          query(
            `time() - tencent_chat_exporter_token_file_last_reload_success_timestamp_seconds{${job}}`,
            '{{instance}}',
          ),
        )
        .unit('s')
        .min(0)
        .height(8)
        .span(8),
    )

    .withRow(new RowBuilder('Front proxy (UPSTREAM_URL)'))
    .withPanel(
      counterRatePanel(
        'Forwarded callbacks by outcome',
        'Callbacks forwarded to the app backend per second, by command and outcome (ok, http_error, timeout, connection_error). Empty unless UPSTREAM_URL is set.',
        `tencent_chat_exporter_upstream_requests_total{${job}}`,
        '{{callback_command}} {{outcome}}',
      ),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Upstream failure ratio')
        .description(
          `Share of forwarded callbacks that failed, by command; TencentChatUpstreamFailing fires above ${config.upstreamFailureRatio}.`,
        )
        .withTarget(
          query(
            `sum without (instance, pod, outcome) (rate(tencent_chat_exporter_upstream_requests_total{${job}, outcome!="ok"}[$__rate_interval])) / sum without (instance, pod, outcome) (rate(tencent_chat_exporter_upstream_requests_total{${job}}[$__rate_interval]))`,
            '{{callback_command}}',
          ),
        )
        .unit('percentunit')
        .min(0)
        .thresholds(thresholds([[config.upstreamFailureRatio, 'red']]))
        .thresholdsStyle(
          new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed),
        )
        .height(8)
        .span(12),
    )
    .withPanel(
      new timeseries.PanelBuilder()
        .title('Upstream latency')
        .description('Time the app backend takes to answer forwarded callbacks. Chat waits 2 s in total.')
        .targets(
          [0.5, 0.99].map((q) =>
            query(
              `histogram_quantile(${q}, sum ${WITHOUT_REPLICA} (rate(tencent_chat_exporter_upstream_request_duration_seconds_bucket{${job}}[$__rate_interval])))`,
              `p${q * 100} {{callback_command}}`,
            ),
          ),
        )
        .unit('s')
        .min(0)
        .legend(legendTable())
        .height(8)
        .span(12),
    )
    .withPanel(
      counterRatePanel(
        'App decisions on before-callbacks',
        "The app's answers to before-callbacks per second, by ErrorCode: 0 allow, 1 forbid, 2 drop silently (messages, group joins, friend requests).",
        `tencent_chat_callback_decisions_total{${job}}`,
        '{{sdkappid}} {{callback_command}} ErrorCode {{error_code}}',
      ),
    )

  return finalize(builder.build())
}
