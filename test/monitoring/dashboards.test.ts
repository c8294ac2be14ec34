import { describe, expect, it } from 'vitest'
import { datasource } from '../../grafana/src/common.js'
import { dashboards } from '../../grafana/src/index.js'
import { monitoringConfig } from '../../prometheus/config.js'
import { annotationQueries, panelQueries, variableQueries } from './dashboard-queries.js'

const all = dashboards(monitoringConfig)
const byUid = Object.fromEntries(Object.values(all).map((dashboard) => [dashboard.uid, dashboard]))

describe('Grafana dashboards', () => {
  it('have stable uids, titles and tags', () => {
    expect(Object.keys(byUid).sort()).toEqual(['tencent-chat-api-limits', 'tencent-chat-exporter-health'])
    expect(byUid['tencent-chat-api-limits']?.title).toBe('Tencent Chat / API rate limits')
    expect(byUid['tencent-chat-exporter-health']?.title).toBe('Tencent Chat exporter / health')
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
})
