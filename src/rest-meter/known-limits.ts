import { DOCUMENTED_LIMITS } from './documented-limits.js'

/** Where a known limit comes from, in order of precedence. */
export type LimitSource = 'configured' | 'alarm' | 'documented'

export interface KnownLimit {
  perSecond: number
  source: LimitSource
}

/**
 * The per-second limit of each API as the exporter knows it: API_LIMITS_FILE (`configured`) over the
 * latest Alert.RequestOverLimit's `Limit` for that app and API (`alarm`, remembered while the process
 * runs, for at most `maxAlarms` APIs, the oldest forgotten first) over Tencent's published default
 * (`documented`, src/rest-meter/documented-limits.ts).
 */
export class KnownLimits {
  #configured: ReadonlyMap<string, number>
  readonly #alarms = new Map<string, number>()
  readonly #maxAlarms: number

  constructor(options: { configured?: ReadonlyMap<string, number>; maxAlarms: number }) {
    this.#configured = options.configured ?? new Map()
    this.#maxAlarms = options.maxAlarms
  }

  /** API_LIMITS_FILE was read (again): `<servicename>/<command>` → calls per second. */
  configure(limits: ReadonlyMap<string, number>): void {
    this.#configured = limits
  }

  /** An Alert.RequestOverLimit arrived; a `Limit` of 0 says nothing of the limit. */
  alarmed(sdkappid: string, serviceName: string, command: string, limit: number): void {
    if (!(limit > 0)) return
    const key = `${sdkappid} ${serviceName}/${command}`
    // Re-inserted, so that the Map's order is the order of the latest alarms.
    this.#alarms.delete(key)
    this.#alarms.set(key, limit)
    if (this.#alarms.size > this.#maxAlarms) this.#alarms.delete(this.#alarms.keys().next().value as string)
  }

  of(sdkappid: string, serviceName: string, command: string): KnownLimit | undefined {
    const api = `${serviceName}/${command}`
    const configured = this.#configured.get(api)
    if (configured !== undefined) return { perSecond: configured, source: 'configured' }
    const alarm = this.#alarms.get(`${sdkappid} ${api}`)
    if (alarm !== undefined) return { perSecond: alarm, source: 'alarm' }
    const documented = DOCUMENTED_LIMITS.get(api)
    return documented && { perSecond: documented.perSecond, source: 'documented' }
  }
}
