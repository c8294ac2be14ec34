import { describe, expect, it } from 'vitest'
import { datasource } from '../../grafana/src/common.js'
import { dashboards } from '../../grafana/src/index.js'
import { monitoringConfig } from '../../prometheus/config.js'
import { annotationQueries, panelQueries, variableQueries } from './dashboard-queries.js'

const all = dashboards(monitoringConfig)
const byUid = Object.fromEntries(Object.values(all).map((dashboard) => [dashboard.uid, dashboard]))

describe('Grafana dashboards', () => {
  it('have stable uids, titles and tags', () => {
    expect(Object.keys(byUid).sort()).toEqual([
      'tencent-chat-api-limits',
      'tencent-chat-exporter-health',
      'tencent-chat-rest-usage',
    ])
    expect(byUid['tencent-chat-api-limits']?.title).toBe('Tencent Chat / API rate limits')
    expect(byUid['tencent-chat-exporter-health']?.title).toBe('Tencent Chat exporter / health')
    expect(byUid['tencent-chat-rest-usage']?.title).toBe('Tencent Chat / REST API usage')
    for (const dashboard of Object.values(all)) {
      expect(dashboard.tags).toEqual(expect.arrayContaining(['tencent-chat']))
    }
  })

  it('keep the built-in annotation that Grafana expects', () => {
    for (const dashboard of Object.values(all)) {
      expect(dashboard.annotations?.list?.[0]).toMatchObject({ builtIn: 1, type: 'dashboard' })
    }
  })

  it('mark when TencentChat alerts fired on the rate-limit dashboard', () => {
    const [alerts] = annotationQueries(byUid['tencent-chat-api-limits'] as (typeof all)[string])
    expect(alerts?.expr).toMatch(/^ALERTS\{alertname=~"TencentChat\.\*", alertstate="firing"/)
  })

  it('reduce every stat to its latest value', () => {
    for (const dashboard of Object.values(all)) {
      const stats = (dashboard.panels ?? []).filter((panel) => panel.type === 'stat') as Array<{
        title: string
        options: { reduceOptions: { calcs: string[] } }
      }>
      expect(stats.length).toBeGreaterThan(0)
      for (const panel of stats)
        expect(panel.options.reduceOptions.calcs, panel.title).toEqual(['lastNotNull'])
    }
  })

  it('give every panel a unique id', () => {
    for (const dashboard of Object.values(all)) {
      const ids = (dashboard.panels ?? []).map((panel) => panel.id)
      expect(new Set(ids).size).toBe(ids.length)
    }
  })

  it('query only through the datasource variable', () => {
    for (const dashboard of Object.values(all)) {
      expect(dashboard.templating?.list?.[0]).toMatchObject({ type: 'datasource', name: 'datasource' })
      for (const query of [
        ...panelQueries(dashboard),
        ...variableQueries(dashboard),
        ...annotationQueries(dashboard),
      ]) {
        expect(query.datasourceUid, JSON.stringify(query)).toBe(datasource.uid)
      }
      for (const panel of dashboard.panels ?? []) {
        if (panel.type !== 'row') expect(panel.datasource, panel.title).toEqual(datasource)
      }
    }
  })

  it('offer the API filters as multi-value variables with All', () => {
    const variables = byUid['tencent-chat-api-limits']?.templating?.list ?? []
    expect(variables.map((variable: { name: string }) => variable.name)).toEqual([
      'datasource',
      'job',
      'sdkappid',
      'service_name',
      'command',
    ])
    for (const variable of variables.slice(1)) {
      expect(variable).toMatchObject({ multi: true, includeAll: true, allValue: '.*' })
    }
    // All by default: only exporters have tencent_chat_exporter_build_info, whatever their job is called.
    expect(variables[1]?.current).toMatchObject({ value: '$__all' })
    expect(variables[1]?.query).toBe('label_values(tencent_chat_exporter_build_info, job)')
  })

  it('use $__rate_interval or $__range for every range selector', () => {
    for (const query of Object.values(all).flatMap(panelQueries)) {
      for (const [, window] of query.expr.matchAll(/\[([^\]]+)\]/g)) {
        expect(['$__rate_interval', '$__range'], `${query.panel}: ${query.expr}`).toContain(window)
      }
    }
  })

  it('aggregate counters and gauges without the replica labels', () => {
    for (const query of Object.values(all).flatMap(panelQueries)) {
      for (const [clause, kind, labels] of query.expr.matchAll(/\b(by|without) \(([^)]*)\)/g)) {
        const names = (labels ?? '').split(',').map((name) => name.trim())
        if (kind === 'without') expect(names, clause).toEqual(expect.arrayContaining(['instance', 'pod']))
        else
          expect(
            names.filter((name) => name === 'instance' || name === 'pod'),
            clause,
          ).toEqual([])
      }
      // A tencent_chat_* counter is only ever read through rate() or increase() inside a sum.
      if (/tencent_chat_\w+_total/.test(query.expr)) expect(query.expr, query.panel).toMatch(/\bsum\b/)
    }
  })

  it('filter every API query by the dashboard variables', () => {
    const dashboard = byUid['tencent-chat-api-limits']
    if (!dashboard) throw new Error('missing dashboard')
    for (const query of panelQueries(dashboard)) {
      expect(query.expr, query.panel).toContain('job=~"$job"')
      expect(query.expr, query.panel).toContain('sdkappid=~"$sdkappid"')
      if (query.expr.includes('tencent_chat_api_'))
        expect(query.expr, query.panel).toContain('command=~"$command"')
    }
  })

  it('draw the utilisation thresholds at the configured ratios', () => {
    const panel = (byUid['tencent-chat-api-limits']?.panels ?? []).find(
      (candidate: { title?: string }) => 'title' in candidate && candidate.title === 'Utilisation per API',
    ) as { fieldConfig: { defaults: { thresholds: { steps: Array<{ value: number | null }> } } } } | undefined
    const steps = panel?.fieldConfig.defaults.thresholds.steps.map((step) => step.value)
    expect(steps).toEqual([null, monitoringConfig.apiNearLimitRatio, monitoringConfig.apiOverLimitRatio])
  })

  it('tell the reader that gaps in API series mean below 80%', () => {
    const panels = (byUid['tencent-chat-api-limits']?.panels ?? []) as Array<{
      title?: string
      description?: string
      targets?: Array<{ expr?: string }>
    }>
    const expiring = panels.filter((panel) =>
      panel.targets?.some((target) =>
        /tencent_chat_api_(utilization_ratio|requests_per_second)/.test(target.expr ?? ''),
      ),
    )
    expect(expiring.length).toBeGreaterThanOrEqual(3)
    for (const panel of expiring) expect(panel.description, panel.title).toMatch(/below 80%/)
  })

  describe('REST API usage', () => {
    const dashboard = byUid['tencent-chat-rest-usage'] as (typeof all)[string]
    const panels = (dashboard.panels ?? []) as Array<{
      title?: string
      type: string
      description?: string
      targets?: Array<{ expr?: string }>
      fieldConfig?: {
        overrides: Array<{ matcher: { options: string }; properties: Array<{ id: string; value: unknown }> }>
      }
      options?: { sortBy?: Array<{ displayName: string; desc: boolean }> }
    }>
    const panel = (title: string) => {
      const found = panels.find((candidate) => candidate.title === title)
      if (!found) throw new Error(`no panel ${title}`)
      return found
    }

    it('offers the datasource, job and SDKAppID variables', () => {
      const variables = dashboard.templating?.list ?? []
      expect(variables.map((variable: { name: string }) => variable.name)).toEqual([
        'datasource',
        'job',
        'sdkappid',
      ])
      expect(variables[2]?.query).toBe(
        'label_values(tencent_chat_rest_requests_total{job=~"$job"}, sdkappid)',
      )
    })

    it("filters every query by job, and every query of an API's series by SDKAppID", () => {
      for (const query of panelQueries(dashboard)) {
        expect(query.expr, query.panel).toContain('job=~"$job"')
        // In flight, the meter's refusals and the limits file's state have no app.
        if (/tencent_chat_(rest|api)_/.test(query.expr) && !query.expr.includes('in_flight'))
          expect(query.expr, query.panel).toContain('sdkappid=~"$sdkappid"')
      }
    })

    it("lists the APIs busiest first, orange from the REST warning and red from Chat's alarm", () => {
      const top = panel('Top APIs by peak utilisation')
      expect(top.type).toBe('table')
      expect(top.options?.sortBy).toEqual([{ displayName: 'Peak utilisation', desc: true }])
      const override = top.fieldConfig?.overrides.find((o) => o.matcher.options === 'Peak utilisation')
      const thresholds = override?.properties.find((property) => property.id === 'thresholds')?.value as
        | { steps: Array<{ value: number | null }> }
        | undefined
      const steps = thresholds?.steps.map((step) => step.value)
      expect(steps).toEqual([null, monitoringConfig.restNearLimitRatio, monitoringConfig.apiNearLimitRatio])
      expect(steps).toEqual([null, 0.6, 0.8])
    })

    it('has the panels the REST meter is read through', () => {
      const titles = panels.map((candidate) => candidate.title)
      expect(titles).toEqual(
        expect.arrayContaining([
          'Top APIs by peak utilisation',
          'Calls and peak per second against the limit',
          'Error codes over time',
          'Latency percentiles',
          'Latency heatmap',
          'Failures',
          'In flight',
        ]),
      )
      expect(panel('Latency heatmap').type).toBe('heatmap')
      const limits = panel('Calls and peak per second against the limit').targets?.map((t) => t.expr) ?? []
      expect(limits.some((expr) => expr?.includes('tencent_chat_api_known_limit_per_second'))).toBe(true)
      expect(limits.some((expr) => expr?.includes('tencent_chat_rest_peak_requests_per_second'))).toBe(true)
    })

    it('marks throttled calls and firing alerts on the time series', () => {
      const names = annotationQueries(dashboard).map((annotation) => annotation.annotation)
      expect(names).toEqual(['TencentChat alerts', 'Throttled calls'])
      const [, throttled] = annotationQueries(dashboard)
      expect(throttled?.expr).toContain('error_code=~"60007|60011|')
    })

    it('says that the summed peaks of several meters are an upper bound', () => {
      const peaked = panels.filter((candidate) =>
        candidate.targets?.some((target) => (target.expr ?? '').includes('peak_requests_per_second')),
      )
      expect(peaked.length).toBeGreaterThanOrEqual(3)
      for (const candidate of peaked.filter((p) => p.title !== 'Calls and peak per second against the limit'))
        expect(candidate.description, candidate.title).toMatch(/upper bound/)
    })

    it('is linked from the rate-limit dashboard, keeping the time range and the variables', () => {
      const links = (byUid['tencent-chat-api-limits']?.links ?? []) as Array<{ url?: string }>
      const link = links.find((candidate) => candidate.url === '/d/tencent-chat-rest-usage')
      expect(link).toMatchObject({ type: 'link', keepTime: true, includeVars: true })
    })
  })
})
