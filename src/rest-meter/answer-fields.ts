import { once } from 'node:events'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { type AnswerFields, AnswerScanner } from './answer-scanner.js'

export interface AnswerFieldsReader {
  /** The next bytes of the answer as Chat sent them. */
  push(chunk: Buffer): void
  /** The answer is complete: its fields, as far as they were found. */
  end(): Promise<AnswerFields> | AnswerFields
}

const NOTHING: AnswerFields = { actionStatus: undefined, errorCode: undefined }

/**
 * Reads ActionStatus and ErrorCode from Chat's answer as it streams past (AnswerScanner). An answer
 * Chat compressed (the app asked for it with Accept-Encoding, and gets it compressed) is decompressed
 * on the side for the scan, and only until both fields are found. An encoding the meter cannot read
 * leaves the fields unknown.
 */
export function answerFieldsReader(contentEncoding: string | undefined): AnswerFieldsReader {
  const scanner = new AnswerScanner()
  const encoding = contentEncoding?.trim().toLowerCase() ?? 'identity'
  if (encoding === 'identity' || encoding === '') {
    return {
      push: (chunk) => {
        if (!scanner.done) scanner.push(chunk)
      },
      end: () => scanner.fields,
    }
  }
  const decompress =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined
  if (decompress === undefined) return { push: () => {}, end: () => NOTHING }
  let failed = false
  decompress.on('data', (chunk: Buffer) => {
    if (scanner.done) decompress.destroy()
    else scanner.push(chunk)
  })
  decompress.on('error', () => {
    failed = true
  })
  return {
    push(chunk) {
      if (!scanner.done && !failed && !decompress.destroyed) decompress.write(chunk)
    },
    async end() {
      if (!scanner.done && !failed && !decompress.destroyed) {
        decompress.end()
        await Promise.race([once(decompress, 'end'), once(decompress, 'close')]).catch(() => {})
      }
      return scanner.fields
    },
  }
}
