import { randomBytes } from 'node:crypto'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { answerFieldsReader } from '../../../src/rest-meter/answer-fields.js'

// Chat's answer as the meter passes it back: compressed when the app asked for it. The fields are read
// from the decompressed bytes, on the side.

const ANSWER = Buffer.from(
  JSON.stringify({
    MsgList: Array.from({ length: 300 }, (_, i) => ({ Text: `message ${i} "ErrorCode":1 你好` })),
    ActionStatus: 'FAIL',
    ErrorInfo: 'over the limit',
    ErrorCode: 60007,
  }),
)

async function read(encoding: string | undefined, bytes: Buffer, pieceBytes = 97) {
  const reader = answerFieldsReader(encoding)
  for (let at = 0; at < bytes.length; at += pieceBytes) reader.push(bytes.subarray(at, at + pieceBytes))
  return reader.end()
}

describe('answerFieldsReader', () => {
  it.each([
    ['identity', ANSWER],
    [undefined, ANSWER],
    ['', ANSWER],
    ['gzip', gzipSync(ANSWER)],
    ['x-gzip', gzipSync(ANSWER)],
    [' GZIP ', gzipSync(ANSWER)],
    ['deflate', deflateSync(ANSWER)],
    ['br', brotliCompressSync(ANSWER)],
  ])('reads the fields of an answer with Content-Encoding %j', async (encoding, bytes) => {
    expect(await read(encoding, bytes)).toEqual({ actionStatus: 'FAIL', errorCode: 60007 })
    expect(await read(encoding, bytes, 1)).toEqual({ actionStatus: 'FAIL', errorCode: 60007 })
  })

  it('leaves the fields unknown for an encoding it cannot read', async () => {
    expect(await read('zstd', ANSWER)).toEqual({ actionStatus: undefined, errorCode: undefined })
    expect(await read('gzip, br', gzipSync(ANSWER))).toEqual({
      actionStatus: undefined,
      errorCode: undefined,
    })
  })

  it('keeps what it found before compressed bytes that are broken, without throwing', async () => {
    // Incompressible text, so that the cut falls inside the compressed stream.
    const compressed = gzipSync(
      Buffer.from(`{"ActionStatus":"OK","ErrorInfo":"${randomBytes(3000).toString('hex')}`),
    )
    const broken = Buffer.concat([compressed.subarray(0, 1000), Buffer.from('not gzip at all')])
    expect(await read('gzip', broken)).toEqual({ actionStatus: 'OK', errorCode: undefined })
    expect(await read('gzip', Buffer.from('not gzip at all'))).toEqual({
      actionStatus: undefined,
      errorCode: undefined,
    })
    expect(await read('gzip', Buffer.alloc(0))).toEqual({ actionStatus: undefined, errorCode: undefined })
  })
})
