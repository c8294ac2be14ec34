import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { withReceiverUrls } from '../../alertmanager/src/receiver-urls.js'
import { alertmanagerConfigFile } from '../monitoring/paths.js'

type Yaml = Record<string, unknown>

/** The configuration without its notification URLs. */
function withoutUrls(config: Yaml): Yaml {
  const copy = structuredClone(config)
  delete (copy.global as Yaml).wechat_api_url
  for (const receiver of copy.receivers as Yaml[]) {
    for (const webhook of (receiver.webhook_configs ?? []) as Yaml[]) delete webhook.url
    for (const wecom of (receiver.wechat_configs ?? []) as Yaml[]) delete wecom.api_url
  }
  return copy
}

describe("the end-to-end test's Alertmanager configuration", () => {
  const example = readFileSync(alertmanagerConfigFile, 'utf8')
  const copy = parse(withReceiverUrls(example, 'http://127.0.0.1:5001')) as Yaml

  it('points every notification at the test receiver', () => {
    const urls = JSON.stringify(copy).match(/https?:\/\/[^"]+/g) ?? []
    expect(urls.length).toBeGreaterThanOrEqual(3)
    for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:5001\//)
  })

  it('changes nothing else: routing, grouping, inhibition and receivers are the bundled ones', () => {
    expect(withoutUrls(copy)).toEqual(withoutUrls(parse(example) as Yaml))
  })
})
