/**
 * The Accept headers real scrapers send, copied from their source rather than guessed:
 * Prometheus's `scrape/scrape.go` (`acceptHeader`, before 2.49 the `scrapeAcceptHeader` constants) and
 * `config/config.go` (`ScrapeProtocolsHeaders`, `DefaultScrapeProtocols`,
 * `DefaultProtoFirstScrapeProtocols`) at the Go module versions named (Prometheus 2.x is v0.2.x,
 * 3.x is v0.3xx.y). From 2.49 the q-values count down from one more than the number of protocols
 * Prometheus knows, so they shift between releases. The end-to-end test checks the 2.42 and 3.16 ones
 * against what the real binaries send.
 */
export const SCRAPER_ACCEPT = {
  /** v0.42.0 `scrapeAcceptHeader` (Debian 12's Prometheus). */
  prometheus2_42:
    'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  /** v0.42.0 `scrapeAcceptHeaderWithProtobuf` (`--enable-feature=native-histograms`). */
  prometheus2_42Protobuf:
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  /** v0.55.0: four known protocols, default order. */
  prometheus2_55:
    'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
  /** v0.55.0 `DefaultProtoFirstScrapeProtocols` (native histograms on). */
  prometheus2_55ProtoFirst:
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1',
  /** v0.300.0: UTF-8 validation appended `escaping=allow-utf-8` to every entry, twice to text 1.0.0. */
  prometheus3_0:
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;escaping=allow-utf-8;q=0.3,*/*;q=0.2',
  /** v0.305.0 (3.5 LTS): `escaping` only on the 1.0.0 formats. */
  prometheus3_5:
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
  /** v0.316.0 default: OpenMetrics 2.0.0 is known (q counts down from 0.7) but not asked for. */
  prometheus3_16:
    'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.7,application/openmetrics-text;version=0.0.1;q=0.6,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.3',
  /** v0.316.0 proto-first (`scrape_native_histograms: true`, or `scrape_protocols` in this order). */
  prometheus3_16ProtoFirst:
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
  /** v0.316.0 with `metric_name_validation_scheme: legacy`: names escaped with underscores. */
  prometheus3_16Legacy:
    'application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.7,application/openmetrics-text;version=0.0.1;q=0.6,text/plain;version=1.0.0;escaping=underscores;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.3',
  /** v0.316.0 with `scrape_protocols: [OpenMetricsText2.0.0, PrometheusText0.0.4]`. */
  prometheus3_16OpenMetrics2:
    'application/openmetrics-text;version=2.0.0;escaping=allow-utf-8;q=0.7,text/plain;version=0.0.4;q=0.6,*/*;q=0.5',
  /** v0.316.0 with `scrape_protocols: [PrometheusProto]`: only protobuf, then anything. */
  prometheus3_16ProtobufOnly:
    'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,*/*;q=0.6',
  chrome:
    'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7',
  firefox: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  curl: '*/*',
} as const
