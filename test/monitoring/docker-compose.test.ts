import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { monitoringConfig } from '../../prometheus/config.js'
import { findTool, pinnedRelease, runTool } from '../helpers/tools.js'
import { readYaml, repoRoot, rulesFile } from './paths.js'

interface Service {
  build?: string
  image?: string
  command?: string[]
  environment?: Record<string, string>
  volumes?: string[]
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
}

interface Compose {
  services: Record<string, Service>
  volumes?: Record<string, unknown>
}

const compose = readYaml<Compose>(join(repoRoot, 'docker-compose.yml'))
const services = compose.services
/** Volumes that Compose makes and keeps (`docker compose down -v` removes them), by name. */
const namedVolumes = new Set(Object.keys(compose.volumes ?? {}))

/** The bind mounts of a service: host path (relative to the repository) and container path. */
function mounts(service: string): Array<{ source: string; target: string }> {
  return (services[service]?.volumes ?? []).map((volume) => {
    const [source, target] = volume.split(':')
    return { source: source as string, target: target as string }
  })
}

/** The host file mounted at a container path, following a mounted parent folder. */
function hostPathOf(service: string, containerPath: string): string | undefined {
  for (const { source, target } of mounts(service)) {
    if (containerPath === target) return join(repoRoot, source)
    if (containerPath.startsWith(`${target}/`))
      return join(repoRoot, source, containerPath.slice(target.length + 1))
  }
  return undefined
}

describe('docker-compose demo stack', () => {
  const dirs: string[] = []
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })

  it('has the exporter, simulator, Prometheus, Alertmanager and Grafana', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining(['exporter', 'simulator', 'prometheus', 'alertmanager', 'grafana']),
    )
    expect(services.exporter?.build).toBe('.')
  })

  it('runs the Prometheus and Alertmanager releases the tests run (tools/versions.env)', () => {
    expect(services.prometheus?.image).toBe(`prom/prometheus:v${pinnedRelease('PROMETHEUS')}`)
    expect(services.alertmanager?.image).toBe(`prom/alertmanager:v${pinnedRelease('ALERTMANAGER')}`)
  })

  it('mounts only files and folders that exist, and the volumes it declares', () => {
    const all = Object.keys(services)
      .flatMap((name) => mounts(name).map((mount) => ({ name, ...mount })))
      .filter(({ source }) => !namedVolumes.has(source))
    expect(all.length).toBeGreaterThan(5)
    for (const { name, source } of all) {
      expect(source, `${name} mounts a path of the repository`).toMatch(/^\.\//)
      expect(existsSync(join(repoRoot, source)), `${name}: ${source}`).toBe(true)
    }
  })

  it('publishes ports on the loopback interface only', () => {
    for (const service of Object.values(services)) {
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/)
    }
  })

  it("points Prometheus at the exporter with the rules' job name and at Alertmanager", async () => {
    const configPath = hostPathOf('prometheus', '/etc/prometheus/prometheus.yml') as string
    const config = readYaml<{
      rule_files: string[]
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> }
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>
    }>(configPath)
    const [job] = config.scrape_configs
    expect(job?.job_name).toBe(monitoringConfig.jobName)
    expect(job?.static_configs[0]?.targets).toEqual(['exporter:10240'])
    expect(config.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['alertmanager:9093'])
    // The rule glob, resolved through the mounts, finds the bundled rules file.
    const [glob] = config.rule_files
    expect(glob).toBe('/etc/prometheus/rules/*.rules.yml')
    expect(hostPathOf('prometheus', '/etc/prometheus/rules/tencent-chat-exporter.rules.yml')).toBe(rulesFile)

    // promtool validates the configuration, with the rule glob pointed at the repository's rules.
    const dir = mkdtempSync(join(tmpdir(), 'tce-compose-'))
    dirs.push(dir)
    const copy = join(dir, 'prometheus.yml')
    writeFileSync(copy, stringify({ ...config, rule_files: [rulesFile] }))
    const result = await runTool(findTool('promtool'), ['check', 'config', copy])
    expect(result.stdout + result.stderr).toContain('SUCCESS')
    expect(result.code).toBe(0)
  })

  it('gives Alertmanager the demo configuration it is told to read', () => {
    const flag = services.alertmanager?.command?.find((arg) => arg.startsWith('--config.file='))
    const hostPath = hostPathOf('alertmanager', flag?.split('=')[1] ?? '')
    expect(hostPath).toBe(join(repoRoot, 'alertmanager/alertmanager.demo.yml'))
    expect(readFileSync(hostPath as string, 'utf8')).toContain('http://demo-receiver:8080/pager/webhook')
    expect(services['demo-receiver']).toBeDefined()
  })

  it("provisions Grafana's datasource and the dashboards where they are mounted", () => {
    const provider = readYaml<{ providers: Array<{ options: { path: string } }> }>(
      hostPathOf('grafana', '/etc/grafana/provisioning/dashboards/tencent-chat.yml') as string,
    )
    const dashboardsDir = provider.providers[0]?.options.path as string
    expect(hostPathOf('grafana', dashboardsDir)).toBe(join(repoRoot, 'grafana/dashboards'))
    const home = services.grafana?.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string
    expect(existsSync(hostPathOf('grafana', home) as string)).toBe(true)

    const datasources = readYaml<{ datasources: Array<{ type: string; url: string }> }>(
      hostPathOf('grafana', '/etc/grafana/provisioning/datasources/prometheus.yml') as string,
    )
    expect(datasources.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' })
  })

  it('runs the simulator against the exporter with its token and SDKAppID', () => {
    const simulator = services.simulator as Service
    const exporter = services.exporter as Service
    const args = simulator.command ?? []
    expect(args).toContain('scripts/simulate.ts')
    expect(args[args.indexOf('--url') + 1]).toBe('http://exporter:10240/callback')
    expect(args[args.indexOf('--sdkappid') + 1]).toBe(exporter.environment?.SDKAPPIDS)
    expect(simulator.environment?.CALLBACK_TOKEN).toBe(exporter.environment?.CALLBACK_TOKEN)
    // Everything simulate.ts imports is mounted.
    for (const file of [
      '/app/scripts/simulate.ts',
      '/app/scripts/simulator/run.ts',
      '/app/src/auth/signature.ts',
    ]) {
      expect(existsSync(hostPathOf('simulator', file) as string), file).toBe(true)
    }
  })

  it("forwards the exporter's REST meter to the fake Chat, trusting the certificate made for it", () => {
    const exporter = services.exporter?.environment ?? {}
    const chatUrl = new URL(exporter.CHAT_REST_URL ?? '')
    expect(chatUrl.protocol).toBe('https:')
    expect(chatUrl.hostname).toBe('fake-chat')
    const fakeChat = services['fake-chat'] as Service
    const args = fakeChat.command ?? []
    expect(args).toContain('scripts/demo-chat.ts')
    expect(args[args.indexOf('--port') + 1]).toBe(chatUrl.port)
    // The certificate service writes the certificate into a volume that the exporter and the fake Chat mount.
    const certificate = services['chat-certificate'] as Service
    const [certificateVolume] = mounts('chat-certificate').filter(({ source }) => namedVolumes.has(source))
    expect(certificate.command?.at(-1)).toBe(certificateVolume?.target)
    expect(hostPathOf('chat-certificate', certificate.command?.[1] ?? '')).toBe(
      join(repoRoot, 'scripts/simulator/make-demo-certificate.sh'),
    )
    const mountedAt = (service: string) =>
      mounts(service).find(({ source }) => source === certificateVolume?.source)?.target
    expect(exporter.CHAT_REST_CA_FILE).toBe(`${mountedAt('exporter')}/fake-chat.crt`)
    expect(args[args.indexOf('--cert') + 1]).toBe(`${mountedAt('fake-chat')}/fake-chat.crt`)
    expect(args[args.indexOf('--key') + 1]).toBe(`${mountedAt('fake-chat')}/fake-chat.key`)
    for (const service of ['exporter', 'fake-chat'])
      expect(services[service]?.depends_on?.['chat-certificate']).toEqual({
        condition: 'service_completed_successfully',
      })
    // The demo limits file, mounted where API_LIMITS_FILE points.
    expect(hostPathOf('exporter', exporter.API_LIMITS_FILE ?? '')).toBe(
      join(repoRoot, 'scripts/simulator/demo-api-limits.yaml'),
    )
  })

  it("runs the simulator's REST calls through the meter, signed with the fake Chat's key", () => {
    const simulator = services.simulator as Service
    const exporter = services.exporter as Service
    const fakeChat = services['fake-chat'] as Service
    const args = simulator.command ?? []
    const restUrl = new URL(args[args.indexOf('--rest-url') + 1] ?? '')
    expect(restUrl.hostname).toBe('exporter')
    expect(restUrl.port).toBe(exporter.environment?.EGRESS_PORT)
    // The simulator reaches the meter from its own container.
    expect(exporter.environment?.EGRESS_HOST).toBe('0.0.0.0')
    expect(simulator.environment?.CHAT_SECRET_KEY).toBe(fakeChat.environment?.CHAT_SECRET_KEY)
    const chatArgs = fakeChat.command ?? []
    expect(chatArgs[chatArgs.indexOf('--sdkappid') + 1]).toBe(exporter.environment?.SDKAPPIDS)
    expect(simulator.depends_on?.['fake-chat']).toEqual({ condition: 'service_healthy' })
    expect(exporter.ports).toContain(`127.0.0.1:${restUrl.port}:${restUrl.port}`)
    for (const file of ['/app/scripts/demo-chat.ts', '/app/scripts/simulator/demo-chat.ts']) {
      expect(existsSync(hostPathOf('fake-chat', file) as string), file).toBe(true)
    }
  })
})
