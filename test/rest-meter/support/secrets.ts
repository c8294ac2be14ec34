import { expect } from 'vitest'
import type { TestExporter } from '../../helpers/start-exporter.js'

/**
 * The values of a REST call's query that are secret or personal: the UserSig (a bearer credential with
 * the admin's rights), the identifier and the random. A random of fewer than 8 digits is left out: so
 * short a number can occur in a metric's value by chance.
 */
export function secretsOfQuery(query: string | Record<string, string>): string[] {
  const params = new URLSearchParams(query)
  const secrets = [params.get('usersig'), params.get('identifier')]
  const random = params.get('random')
  if (random !== null && random.length >= 8) secrets.push(random)
  return secrets.filter((value): value is string => value !== null && value !== '')
}

/**
 * Asserts that no log line, no metric and neither status page (HTML and JSON) of `exporter`, nor any of
 * `answers` (the meter's own error answers), holds any of `secrets`.
 */
export async function expectNoSecrets(
  exporter: TestExporter,
  secrets: readonly string[],
  answers: readonly string[] = [],
): Promise<void> {
  expect(secrets.length).toBeGreaterThan(0)
  const pages: Record<string, string> = {
    logs: exporter.rawLogs.join('\n'),
    metrics: await (await fetch(`${exporter.metricsUrl}/metrics`)).text(),
    'status page': await (await fetch(`${exporter.metricsUrl}/`)).text(),
    'status JSON': await (await fetch(`${exporter.metricsUrl}/api/v1/status`)).text(),
    'error answers': answers.join('\n'),
  }
  for (const [where, text] of Object.entries(pages)) {
    for (const secret of new Set(secrets)) {
      // Also URL-encoded, as a query would carry it.
      for (const form of new Set([secret, encodeURIComponent(secret)])) {
        expect(text.includes(form), `${where} holds a secret of the query (${form.slice(0, 12)}…)`).toBe(
          false,
        )
      }
    }
  }
}
