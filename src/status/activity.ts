import type { CallbackActivity } from '../http/callback-route.js'
import { REJECTION_REASONS, type RejectionReason } from '../protocol/rejection.js'
import type { UpstreamOutcome } from '../proxy/upstream-recorder.js'

/** The label under which commands past the cap are counted, as in `tencent_chat_exporter_callbacks_total`. */
export const OTHER_COMMANDS = '_other'

export interface CommandActivity {
  accepted: number
  lastMs: number
}

export interface RejectionActivity {
  total: number
  /** Undefined until the first rejection for this reason. */
  lastMs: number | undefined
  /** The detail of the FAIL body of the latest rejection (quoted input already redacted). */
  lastDetail: string | undefined
}

export interface OutcomeActivity {
  total: number
  lastMs: number
}

/**
 * What Chat has told the exporter since it started, for the status page: accepted callbacks per command,
 * rejections per reason with the latest detail, and in front-proxy mode the app's answers per outcome.
 * Its methods run on the request path: a map lookup and a few assignments each. Without a token and
 * SDKAPPIDS anyone can invent commands, so at most `maxCommands` get their own entry; the rest share
 * `_other`.
 */
export function createActivityRecorder(options: { maxCommands: number }) {
  const commands = new Map<string, CommandActivity>()
  const rejections = new Map<RejectionReason, RejectionActivity>()
  for (const reason of Object.keys(REJECTION_REASONS) as RejectionReason[]) {
    rejections.set(reason, { total: 0, lastMs: undefined, lastDetail: undefined })
  }
  const upstream = new Map<UpstreamOutcome, OutcomeActivity>()

  const callbacks: CallbackActivity = {
    accepted(callbackCommand, _sdkAppId, nowMs) {
      let entry = commands.get(callbackCommand)
      if (entry === undefined) {
        const key = commands.size < options.maxCommands ? callbackCommand : OTHER_COMMANDS
        entry = commands.get(key) ?? { accepted: 0, lastMs: nowMs }
        commands.set(key, entry)
      }
      entry.accepted += 1
      entry.lastMs = nowMs
    },
    rejected(reason, detail, nowMs) {
      const entry = rejections.get(reason)
      if (entry === undefined) return
      entry.total += 1
      entry.lastMs = nowMs
      entry.lastDetail = detail
    },
  }

  return {
    callbacks,
    /** Told of each callback forwarded to the app in front-proxy mode, with how it ended. */
    upstreamOutcome(outcome: UpstreamOutcome, nowMs: number): void {
      const entry = upstream.get(outcome)
      if (entry === undefined) upstream.set(outcome, { total: 1, lastMs: nowMs })
      else {
        entry.total += 1
        entry.lastMs = nowMs
      }
    },
    commands: commands as ReadonlyMap<string, Readonly<CommandActivity>>,
    rejections: rejections as ReadonlyMap<RejectionReason, Readonly<RejectionActivity>>,
    upstream: upstream as ReadonlyMap<UpstreamOutcome, Readonly<OutcomeActivity>>,
  }
}

export type ActivityRecorder = ReturnType<typeof createActivityRecorder>
