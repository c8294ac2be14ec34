import type { ChatApi } from './chat-api-path.js'
import { PeakWindow } from './peak-window.js'

/** The labels of a metered API, as in every `tencent_chat_rest_*` family. */
export interface ApiLabels {
  readonly sdkappid: string
  readonly service_name: string
  readonly command: string
}

/** One API of one app as the meter sees it. */
export interface MeteredApi {
  readonly labels: ApiLabels
  readonly peak: PeakWindow
  /** Unix milliseconds at which its latest call started. */
  lastCallMs: number
  /** Calls whose answer is still awaited. */
  inFlight: number
  /**
   * The label objects of its `tencent_chat_rest_requests_total` series by `<action_status> <error_code>`,
   * made once: prom-client keeps the first object of a label set, so that the exposition formats it once.
   */
  readonly answerLabels: Map<string, ApiLabels & { action_status: string; error_code: string }>
}

/** The label value that stands for every API past the cap, as in the callback counters. */
export const OVERFLOW_LABEL = '_other'

/**
 * The APIs the meter has seen, by app and API. At most `maxApis` get series of their own (MAX_SERIES,
 * as for the alarm series): the calls of any later one are counted under one `_other` API, so that an
 * app inventing paths cannot grow the series without bound. An API keeps its counters for the life of
 * the process; only its peak goes once it is idle (src/metrics/rest-meter-metrics.ts).
 */
export class MeteredApis {
  readonly #apis = new Map<string, MeteredApi>()
  readonly #maxApis: number
  #overflow: MeteredApi | undefined

  constructor(maxApis: number) {
    this.#maxApis = maxApis
  }

  /** The API a call is counted under: its own, or `_other` past the cap. */
  of(sdkappid: string, api: ChatApi): MeteredApi {
    // Segments never contain a space (chat-api-path.ts), so the key is unambiguous.
    const key = `${sdkappid} ${api.serviceName} ${api.command}`
    let metered = this.#apis.get(key)
    if (metered !== undefined) return metered
    if (this.#apis.size >= this.#maxApis) {
      this.#overflow ??= newApi({
        sdkappid: OVERFLOW_LABEL,
        service_name: OVERFLOW_LABEL,
        command: OVERFLOW_LABEL,
      })
      return this.#overflow
    }
    metered = newApi({ sdkappid, service_name: api.serviceName, command: api.command })
    this.#apis.set(key, metered)
    return metered
  }

  /** Every API with series of its own, then `_other` once it has had a call. */
  *[Symbol.iterator](): IterableIterator<MeteredApi> {
    yield* this.#apis.values()
    if (this.#overflow !== undefined) yield this.#overflow
  }

  get size(): number {
    return this.#apis.size
  }
}

function newApi(labels: ApiLabels): MeteredApi {
  return { labels, peak: new PeakWindow(), lastCallMs: 0, inFlight: 0, answerLabels: new Map() }
}
