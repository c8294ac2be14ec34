import { describe, expect, it } from 'vitest'
import { negotiateExposition, parseAccept } from '../../src/http/metrics-negotiation.js'
import { OPENMETRICS_TEXT, PROMETHEUS_TEXT } from '../../src/metrics/render-metrics.js'
import { SCRAPER_ACCEPT } from '../helpers/scraper-accept-headers.js'

describe('negotiateExposition', () => {
  it.each([
    // Every Prometheus since 2.x asks for OpenMetrics 1.0.0 first, or right after protobuf.
    ['Prometheus 2.42', SCRAPER_ACCEPT.prometheus2_42, 'openmetrics'],
    [
      'Prometheus 2.42 with native histograms (protobuf first)',
      SCRAPER_ACCEPT.prometheus2_42Protobuf,
      'openmetrics',
    ],
    ['Prometheus 2.55', SCRAPER_ACCEPT.prometheus2_55, 'openmetrics'],
    ['Prometheus 2.55 proto-first', SCRAPER_ACCEPT.prometheus2_55ProtoFirst, 'openmetrics'],
    ['Prometheus 3.0 (escaping on every entry)', SCRAPER_ACCEPT.prometheus3_0, 'openmetrics'],
    ['Prometheus 3.5 default', SCRAPER_ACCEPT.prometheus3_5, 'openmetrics'],
    ['Prometheus 3.16 default', SCRAPER_ACCEPT.prometheus3_16, 'openmetrics'],
    ['Prometheus 3.16 proto-first', SCRAPER_ACCEPT.prometheus3_16ProtoFirst, 'openmetrics'],
    [
      'Prometheus 3.16, legacy names (escaping=underscores)',
      SCRAPER_ACCEPT.prometheus3_16Legacy,
      'openmetrics',
    ],
    // OpenMetrics 2.0 is not rendered: its next choice is.
    [
      'Prometheus 3.16 asking for OpenMetrics 2.0, then text',
      SCRAPER_ACCEPT.prometheus3_16OpenMetrics2,
      'text',
    ],
    ['Prometheus 3.16 asking for protobuf only', SCRAPER_ACCEPT.prometheus3_16ProtobufOnly, 'text'],
    ['Chrome', SCRAPER_ACCEPT.chrome, 'text'],
    ['Firefox', SCRAPER_ACCEPT.firefox, 'text'],
    ['curl', SCRAPER_ACCEPT.curl, 'text'],
    ['no Accept header', undefined, 'text'],
    ['an empty Accept header', '', 'text'],
    // The exporter's own content types, as a client that copies them would send them.
    ["the exporter's text content type", PROMETHEUS_TEXT, 'text'],
    ["the exporter's OpenMetrics content type", OPENMETRICS_TEXT, 'openmetrics'],
  ] as const)('%s gets %s', (_scraper, accept, format) => {
    expect(negotiateExposition(accept)).toBe(format)
  })

  it('matches the media type and its version; other parameters never rule an offer out', () => {
    expect(negotiateExposition('application/openmetrics-text')).toBe('openmetrics')
    expect(negotiateExposition('application/openmetrics-text;version=1.0.0;charset=iso-8859-1')).toBe(
      'openmetrics',
    )
    expect(negotiateExposition('application/openmetrics-text;escaping=values;version=1.0.0')).toBe(
      'openmetrics',
    )
    expect(negotiateExposition('Application/OpenMetrics-Text; Version=1.0.0; Q=0.9, text/plain; q=0.8')).toBe(
      'openmetrics',
    )
    expect(negotiateExposition('application/openmetrics-text;version="1.0.0";note="a, b; c"')).toBe(
      'openmetrics',
    )
    // A version the exporter does not render is no match, whatever its weight.
    expect(negotiateExposition('application/openmetrics-text;version=0.0.1, text/plain;q=0.1')).toBe('text')
    expect(negotiateExposition('text/plain;version=1.0.0, application/openmetrics-text;q=0.2')).toBe(
      'openmetrics',
    )
  })

  it('honours q-values, the most specific range deciding an offer', () => {
    expect(negotiateExposition('text/plain;q=0.9, application/openmetrics-text;q=0.8')).toBe('text')
    expect(negotiateExposition('text/plain;q=0.8, application/openmetrics-text;q=0.9')).toBe('openmetrics')
    expect(negotiateExposition('application/*;q=0.5, text/*;q=0.4')).toBe('openmetrics')
    // q=0 refuses; */* then offers what is left.
    expect(negotiateExposition('text/plain;q=0, */*')).toBe('openmetrics')
    expect(negotiateExposition('application/openmetrics-text;version=1.0.0;q=0, */*')).toBe('text')
    expect(negotiateExposition('*/*;q=0.1, application/openmetrics-text;q=0')).toBe('text')
  })

  it('breaks a tie by the more specific range, then by the order the client listed, then text', () => {
    expect(negotiateExposition('*/*, application/openmetrics-text')).toBe('openmetrics')
    expect(negotiateExposition('application/openmetrics-text, text/plain')).toBe('openmetrics')
    expect(negotiateExposition('text/plain, application/openmetrics-text')).toBe('text')
    expect(negotiateExposition('*/*;q=0.5')).toBe('text')
  })

  it('answers text when nothing acceptable is left or the header is unreadable, never an error', () => {
    for (const accept of [
      'application/json',
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
      'text/plain;q=0, application/openmetrics-text;q=0',
      'application/openmetrics-text;version=2.0.0',
      'garbage',
      ',,;;==',
      'text/plain;q=2, application/openmetrics-text;q=abc',
      '*/plain',
      '"unterminated',
    ]) {
      expect(negotiateExposition(accept), accept).toBe('text')
    }
  })
})

describe('parseAccept', () => {
  it('reads ranges in order with their version and q, dropping unreadable ones', () => {
    expect(parseAccept(SCRAPER_ACCEPT.prometheus3_16)).toEqual([
      { type: 'application', subtype: 'openmetrics-text', version: '1.0.0', q: 0.7 },
      { type: 'application', subtype: 'openmetrics-text', version: '0.0.1', q: 0.6 },
      { type: 'text', subtype: 'plain', version: '1.0.0', q: 0.5 },
      { type: 'text', subtype: 'plain', version: '0.0.4', q: 0.4 },
      { type: '*', subtype: '*', version: undefined, q: 0.3 },
    ])
    expect(parseAccept('text/plain;q=1.5, foo, text/html;q=0.250, a/b;q=0.1234')).toEqual([
      { type: 'text', subtype: 'html', version: undefined, q: 0.25 },
    ])
  })
})
