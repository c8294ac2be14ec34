import { parse, stringify } from 'yaml'

type Yaml = Record<string, unknown>

/**
 * A copy of the example Alertmanager configuration whose notification URLs point at `base`
 * (`<base>/<receiver>/webhook`, `<base>/<receiver>/wecom/`) and nothing else changed, so the routing,
 * grouping, inhibition and receivers are the bundled ones. The end-to-end test points it at its own
 * webhook receiver, the demo stack at alertmanager/demo-receiver.mjs.
 */
export function withReceiverUrls(exampleYaml: string, base: string): string {
  const config = parse(exampleYaml) as Yaml
  const global = (config.global ?? {}) as Yaml
  if ('wechat_api_url' in global) global.wechat_api_url = `${base}/global/wecom/`
  for (const receiver of (config.receivers ?? []) as Yaml[]) {
    for (const webhook of (receiver.webhook_configs ?? []) as Yaml[])
      webhook.url = `${base}/${receiver.name}/webhook`
    for (const wecom of (receiver.wechat_configs ?? []) as Yaml[])
      wecom.api_url = `${base}/${receiver.name}/wecom/`
  }
  return stringify(config)
}
