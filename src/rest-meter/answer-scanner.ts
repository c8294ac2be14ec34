/**
 * Finds the top-level `ActionStatus` (a string) and `ErrorCode` (a number) of Chat's JSON answer as its
 * bytes stream past, without parsing the rest: nested values are skipped by counting brackets, and the
 * scan stops once both fields are found. Chat writes them first, so a history page of megabytes costs a
 * few dozen bytes of scanning; at worst (the fields last, or absent) one pass over the bytes, with no
 * object built.
 *
 * A field's first occurrence counts (Chat never repeats one). Anything that is not a JSON object ends
 * the scan with what was found so far.
 */
export interface AnswerFields {
  actionStatus: string | undefined
  errorCode: number | undefined
}

enum State {
  BeforeObject,
  BeforeKey,
  InKey,
  BeforeColon,
  BeforeValue,
  InString,
  InNumber,
  InLiteral,
  InNested,
  AfterValue,
  Done,
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const COMMA = 0x2c
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09

/** Key and captured values longer than this are not the fields sought: not kept. */
const MAX_CAPTURE = 64

export class AnswerScanner {
  #state = State.BeforeObject
  #fields: AnswerFields = { actionStatus: undefined, errorCode: undefined }
  /** The key or value being read, as raw JSON text, while it may still be one sought. */
  #capture = ''
  #capturing = false
  #escaped = false
  /** What the value being read belongs to. */
  #field: 'actionStatus' | 'errorCode' | undefined
  /** Inside a nested value: its depth, and whether a string is open within it. */
  #depth = 0
  #nestedString = false

  get fields(): AnswerFields {
    return this.#fields
  }

  /** Whether the scan is over: both fields found, or the answer is not a JSON object. */
  get done(): boolean {
    return this.#state === State.Done
  }

  /** Scans the next bytes of the answer. */
  push(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length && this.#state !== State.Done; i++) this.#step(chunk[i] as number)
  }

  #step(byte: number): void {
    switch (this.#state) {
      case State.BeforeObject:
        // A UTF-8 byte order mark may come first.
        if (isSpace(byte) || byte === 0xef || byte === 0xbb || byte === 0xbf) return
        this.#state = byte === OPEN_BRACE ? State.BeforeKey : State.Done
        return
      case State.BeforeKey:
        if (isSpace(byte)) return
        if (byte === QUOTE) this.#startString(State.InKey)
        else this.#state = State.Done // `}` (an empty object) or not JSON
        return
      case State.InKey:
      case State.InString:
        this.#stringByte(byte)
        return
      case State.BeforeColon:
        if (isSpace(byte)) return
        this.#state = byte === COLON ? State.BeforeValue : State.Done
        return
      case State.BeforeValue:
        if (isSpace(byte)) return
        if (byte === QUOTE) this.#startString(State.InString)
        else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
          this.#state = State.InNested
          this.#depth = 1
          this.#nestedString = false
          this.#escaped = false
        } else if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39)) {
          this.#state = State.InNumber
          this.#capture = String.fromCharCode(byte)
          this.#capturing = this.#field === 'errorCode'
        } else {
          this.#state = State.InLiteral
        }
        return
      case State.InNumber:
      case State.InLiteral:
        if (byte === COMMA || byte === CLOSE_BRACE || isSpace(byte)) {
          if (this.#state === State.InNumber && this.#capturing) this.#numberValue()
          this.#state = State.AfterValue
          this.#afterValue(byte)
        } else if (this.#state === State.InNumber && this.#capturing) this.#append(byte)
        return
      case State.InNested:
        this.#nestedByte(byte)
        return
      case State.AfterValue:
        this.#afterValue(byte)
        return
    }
  }

  #startString(state: State.InKey | State.InString): void {
    this.#state = state
    this.#capture = ''
    this.#escaped = false
    this.#capturing = state === State.InKey || this.#field === 'actionStatus'
  }

  #append(byte: number): void {
    if (this.#capture.length >= MAX_CAPTURE) this.#capturing = false
    else this.#capture += String.fromCharCode(byte)
  }

  #stringByte(byte: number): void {
    if (this.#escaped) {
      this.#escaped = false
      if (this.#capturing) this.#append(byte)
      return
    }
    if (byte === BACKSLASH) {
      this.#escaped = true
      if (this.#capturing) this.#append(byte)
      return
    }
    if (byte !== QUOTE) {
      // Bytes of multi-byte characters are kept as they come and decoded below: the sought names and
      // values are ASCII, anything else only needs to compare unequal.
      if (this.#capturing) this.#append(byte)
      return
    }
    if (this.#state === State.InKey) {
      const key = this.#capturing ? decodeString(this.#capture) : undefined
      this.#field =
        key === 'ActionStatus' && this.#fields.actionStatus === undefined
          ? 'actionStatus'
          : key === 'ErrorCode' && this.#fields.errorCode === undefined
            ? 'errorCode'
            : undefined
      this.#state = State.BeforeColon
      return
    }
    if (this.#field === 'actionStatus' && this.#capturing) {
      this.#fields.actionStatus = decodeString(this.#capture)
    }
    this.#state = State.AfterValue
    this.#checkDone()
  }

  #numberValue(): void {
    const value = Number(this.#capture)
    if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(this.#capture) && Number.isFinite(value)) {
      this.#fields.errorCode = value
    }
  }

  #nestedByte(byte: number): void {
    if (this.#nestedString) {
      if (this.#escaped) this.#escaped = false
      else if (byte === BACKSLASH) this.#escaped = true
      else if (byte === QUOTE) this.#nestedString = false
      return
    }
    if (byte === QUOTE) this.#nestedString = true
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.#depth++
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (--this.#depth === 0) this.#state = State.AfterValue
    }
  }

  #afterValue(byte: number): void {
    this.#field = undefined
    this.#checkDone()
    if (this.#state === State.Done || isSpace(byte)) return
    this.#state = byte === COMMA ? State.BeforeKey : State.Done
  }

  #checkDone(): void {
    if (this.#fields.actionStatus !== undefined && this.#fields.errorCode !== undefined) {
      this.#state = State.Done
    }
  }
}

/** A JSON string's content (between the quotes, escapes as written), decoded; undefined if invalid. */
function decodeString(raw: string): string | undefined {
  const text = Buffer.from(raw, 'latin1').toString('utf8')
  if (!text.includes('\\')) return text
  try {
    return JSON.parse(`"${text}"`) as string
  } catch {
    return undefined
  }
}
