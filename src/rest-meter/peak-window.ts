/** How far back the peak looks: the last minute of whole seconds. */
export const PEAK_WINDOW_SECONDS = 60

/**
 * Calls per whole second of the clock over the last PEAK_WINDOW_SECONDS, for one API: the figure Chat's
 * per-second limits are measured against, which a `rate()` over a scrape interval averages away. One
 * slot per second in a ring: a call costs a division and an increment, a read (the peak, or the calls in the window) looks at 60 slots.
 */
export class PeakWindow {
  readonly #seconds = new Float64Array(PEAK_WINDOW_SECONDS).fill(-1)
  readonly #counts = new Uint32Array(PEAK_WINDOW_SECONDS)

  /** A call started at `nowMs` (Unix milliseconds). */
  add(nowMs: number): void {
    const second = Math.floor(nowMs / 1000)
    const slot = second % PEAK_WINDOW_SECONDS
    if (this.#seconds[slot] !== second) {
      this.#seconds[slot] = second
      this.#counts[slot] = 0
    }
    this.#counts[slot] = (this.#counts[slot] as number) + 1
  }

  /** The most calls started within one whole second, over the seconds of the window ending at `nowMs`. */
  peak(nowMs: number): number {
    const second = Math.floor(nowMs / 1000)
    let peak = 0
    for (let slot = 0; slot < PEAK_WINDOW_SECONDS; slot++) {
      const at = this.#seconds[slot] as number
      if (at > second - PEAK_WINDOW_SECONDS && at <= second)
        peak = Math.max(peak, this.#counts[slot] as number)
    }
    return peak
  }

  /**
   * The calls started in the seconds of the window ending at `nowMs` (the current second included): the
   * status page divides it by PEAK_WINDOW_SECONDS for an API's calls per second. Read when a page is
   * rendered, never on a call.
   */
  calls(nowMs: number): number {
    const second = Math.floor(nowMs / 1000)
    let calls = 0
    for (let slot = 0; slot < PEAK_WINDOW_SECONDS; slot++) {
      const at = this.#seconds[slot] as number
      if (at > second - PEAK_WINDOW_SECONDS && at <= second) calls += this.#counts[slot] as number
    }
    return calls
  }
}
