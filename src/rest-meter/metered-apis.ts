import { restRequestDuration } from '../metrics/catalog.js'
import type { ChatApi } from './chat-api-path.js'
import type { MeterFailure } from './meter-answers.js'
import { PeakWindow } from './peak-window.js'

/** The upper bounds of the duration buckets: those of `tencent_chat_rest_request_duration_seconds`. */
export const DURATION_BUCKETS: readonly number[] = restRequestDuration.buckets

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
  /** Chat's answers by `<action_status> <error_code>`: each one's series and count. */
  readonly answers: Map<string, AnswerCount>
  /** Calls that got no complete answer, by reason (as `tencent_chat_rest_failures_total`). */
  readonly failures: Record<MeterFailure, number>
  /**
   * The answered calls by duration, per bucket of DURATION_BUCKETS (not cumulative), the last one past
   * the largest bound: the status page's p99 bound. The histogram metric holds the same counts, but
   * reading one API's back from prom-client means reading every API's (20 to 50 ms at 2,000 APIs, in
   * one turn of the event loop).
   */
  readonly durations: Uint32Array
}

/** One kind of answer of one API, as `tencent_chat_rest_requests_total` counts it. */
export interface AnswerCount {
  /**
   * The label object of its series, made once: prom-client keeps the first object of a label set, so
   * that the exposition formats it once.
   */
  readonly labels: ApiLabels & { action_status: string; error_code: string }
  /**
   * The answers counted, as in the series: the status page reads them here, as reading them back from
   * prom-client means reading every API's series.
   */
  total: number
}

/** An answered call of `api` took `seconds`: counted in its bucket (a dozen comparisons at most). */
export function countDuration(api: MeteredApi, seconds: number): void {
  let bucket = 0
  while (bucket < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[bucket] as number)) bucket++
  api.durations[bucket] = (api.durations[bucket] as number) + 1
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
  return {
    labels,
    peak: new PeakWindow(),
    lastCallMs: 0,
    inFlight: 0,
    answers: new Map(),
    failures: { chat_unreachable: 0, chat_timeout: 0 },
    durations: new Uint32Array(DURATION_BUCKETS.length + 1),
  }
}
