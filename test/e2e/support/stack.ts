import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { withReceiverUrls } from '../../../alertmanager/src/receiver-urls.js'
import { monitoringConfig } from '../../../prometheus/config.js'
import { freePort } from '../../helpers/free-port.js'
import { startExporter, type TestExporter } from '../../helpers/start-exporter.js'
import { findTool } from '../../helpers/tools.js'
import { alertmanagerConfigFile, rulesFile } from '../../monitoring/paths.js'
import { startTool, type Tool, waitReady } from './processes.js'
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js'

export const E2E_TOKEN = 'e2e-callback-token'
export const E2E_SDKAPPID = '1400000001'

export interface Stack {
  exporter: TestExporter
  prometheusUrl: string
  alertmanagerUrl: string
  webhook: WebhookReceiver
  tools: Tool[]
  /** The executables started: the current releases from scripts/install-test-tools.sh. */
  binaries: { prometheus: string; alertmanager: string }
  stop(): Promise<void>
}

/** An alert as Prometheus' `/api/v1/alerts` lists it. */
export interface PrometheusAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  state: string
}

/** An alert as Alertmanager's `/api/v2/alerts` lists it. */
export interface AlertmanagerAlert {
  labels: Record<string, string>
  status: { state: string; inhibitedBy: string[] }
}

/** The alerts Prometheus holds now, pending or firing. */
export async function prometheusAlerts(stack: Stack): Promise<PrometheusAlert[]> {
  const response = await fetch(`${stack.prometheusUrl}/api/v1/alerts`)
  return ((await response.json()) as { data: { alerts: PrometheusAlert[] } }).data.alerts
}

/** The alerts Alertmanager holds now, with whether each is inhibited. */
export async function alertmanagerAlerts(stack: Stack): Promise<AlertmanagerAlert[]> {
  return (await (await fetch(`${stack.alertmanagerUrl}/api/v2/alerts`)).json()) as AlertmanagerAlert[]
}

export interface StackOptions {
  /** Starts the exporter to scrape; by default one with the E2E token and SDKAppID, logging at debug. */
  startExporter?: () => Promise<TestExporter>
  /** The rules Prometheus evaluates; by default the bundled rules file. */
  rulesFile?: string
}

/**
 * The monitoring bundle on real tools, all on loopback: the exporter (in this process), Prometheus
 * scraping it every second with the bundled rules evaluated every second, and Alertmanager with the
 * bundled routing delivering to a webhook receiver in this process. The exporter logs at debug, so its
 * `logs` show each scrape's Accept header and the format it answered.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), 'tce-e2e-'))
  const tools: Tool[] = []
  let exporter: TestExporter | undefined
  let webhook: WebhookReceiver | undefined
  const stop = async () => {
    await Promise.all(tools.map((tool) => tool.stop()))
    await exporter?.close()
    await webhook?.close()
    rmSync(dir, { recursive: true, force: true })
  }

  try {
    webhook = await startWebhookReceiver()
    exporter = await (options.startExporter?.() ??
      startExporter({
        config: { callbackToken: E2E_TOKEN, sdkAppIds: new Set([E2E_SDKAPPID]), logLevel: 'debug' },
      }))

    const alertmanagerPort = await freePort()
    const alertmanagerConfig = join(dir, 'alertmanager.yml')
    writeFileSync(
      alertmanagerConfig,
      withReceiverUrls(readFileSync(alertmanagerConfigFile, 'utf8'), webhook.url),
    )
    const binaries = {
      prometheus: findTool('prometheus'),
      alertmanager: findTool('alertmanager', 'prometheus-alertmanager'),
    }
    const alertmanager = startTool('alertmanager', binaries.alertmanager, [
      `--config.file=${alertmanagerConfig}`,
      `--storage.path=${join(dir, 'alertmanager-data')}`,
      `--web.listen-address=127.0.0.1:${alertmanagerPort}`,
      // An empty address turns clustering (gossip on port 9094) off.
      '--cluster.listen-address=',
      '--log.level=warn',
    ])
    tools.push(alertmanager)

    const prometheusPort = await freePort()
    const prometheusConfig = join(dir, 'prometheus.yml')
    const exporterTarget = new URL(exporter.metricsUrl).host
    writeFileSync(
      prometheusConfig,
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [options.rulesFile ?? rulesFile],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] },
        scrape_configs: [
          { job_name: monitoringConfig.jobName, static_configs: [{ targets: [exporterTarget] }] },
        ],
      }),
    )
    const prometheus = startTool('prometheus', binaries.prometheus, [
      `--config.file=${prometheusConfig}`,
      `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
      '--log.level=warn',
    ])
    tools.push(prometheus)

    const alertmanagerUrl = `http://127.0.0.1:${alertmanagerPort}`
    const prometheusUrl = `http://127.0.0.1:${prometheusPort}`
    await waitReady(alertmanager, `${alertmanagerUrl}/-/ready`)
    await waitReady(prometheus, `${prometheusUrl}/-/ready`)
    return { exporter, prometheusUrl, alertmanagerUrl, webhook, tools, binaries, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

export interface PromResult {
  status: 'success' | 'error'
  data?: {
    resultType: string
    result: Array<{ metric: Record<string, string>; value?: unknown; values?: unknown[] }>
  }
  error?: string
  /** Prometheus 3's annotations: PromQL warnings and infos (e.g. rate() of something not a counter). */
  warnings?: string[]
  infos?: string[]
}

/** An instant query, or a range query over the last `rangeSeconds` when given. */
export async function promQuery(
  prometheusUrl: string,
  expr: string,
  rangeSeconds?: number,
): Promise<PromResult> {
  const params = new URLSearchParams({ query: expr })
  let path = '/api/v1/query'
  if (rangeSeconds !== undefined) {
    const end = Date.now() / 1000
    params.set('start', String(end - rangeSeconds))
    params.set('end', String(end))
    params.set('step', '1')
    path = '/api/v1/query_range'
  }
  const response = await fetch(`${prometheusUrl}${path}?${params}`)
  return (await response.json()) as PromResult
}
