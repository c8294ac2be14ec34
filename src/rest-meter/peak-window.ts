/** How far back the peak looks: the last minute of whole seconds. */
export const PEAK_WINDOW_SECONDS = 60

/**
 * Calls per whole second of the clock over the last PEAK_WINDOW_SECONDS, for one API: the figure Chat's
 * per-second limits are measured against, which a `rate()` over a scrape interval averages away. One
 * slot per second in a ring: a call costs a division and an increment, a read (the peak, or the calls
 * in the window) looks at 60 slots.
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
    return this.read(nowMs).peak
  }

  /**
   * The seconds of the window ending at `nowMs` (the current one included): their most calls (the peak)
   * and all their calls, which the status page divides by PEAK_WINDOW_SECONDS for an API's calls per
   * second. Read when a page is rendered or metrics collected, never on a call.
   */
  read(nowMs: number): { peak: number; calls: number } {
    const second = Math.floor(nowMs / 1000)
    let peak = 0
    let calls = 0
    for (let slot = 0; slot < PEAK_WINDOW_SECONDS; slot++) {
      const at = this.#seconds[slot] as number
      if (at > second - PEAK_WINDOW_SECONDS && at <= second) {
        const count = this.#counts[slot] as number
        peak = Math.max(peak, count)
        calls += count
      }
    }
    return { peak, calls }
  }
}
