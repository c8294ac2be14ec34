/**
 * Builds an exposition as bytes in one buffer, family by family: encoding one rope of the whole
 * exposition at the end (10,000 lines at 2,000 tracked APIs) cost twice as much as encoding each family
 * as it is done. The buffer is sized from the previous exposition, so that it rarely grows.
 */
export class ExpositionWriter {
  #buffer: Buffer
  #offset = 0

  constructor(expectedBytes: number) {
    this.#buffer = Buffer.allocUnsafe(Math.max(64 * 1024, expectedBytes))
  }

  /** Text known to be ASCII (one byte per character): the samples of the exporter's own series. */
  writeAscii(text: string): void {
    this.#reserve(text.length)
    this.#offset += this.#buffer.write(text, this.#offset, 'latin1')
  }

  /** Any text, UTF-8 encoded. */
  writeText(text: string): void {
    this.#reserve(Buffer.byteLength(text))
    this.#offset += this.#buffer.write(text, this.#offset, 'utf8')
  }

  /** The bytes written (a view of the writer's buffer: the writer is done with). */
  finish(): Buffer {
    return this.#buffer.subarray(0, this.#offset)
  }

  #reserve(bytes: number): void {
    if (this.#offset + bytes <= this.#buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(2 * this.#buffer.length, this.#offset + bytes))
    this.#buffer.copy(grown, 0, 0, this.#offset)
    this.#buffer = grown
  }
}
