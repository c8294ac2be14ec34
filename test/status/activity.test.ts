import { describe, expect, it } from 'vitest'
import { createActivityRecorder, OTHER_COMMANDS } from '../../src/status/activity.js'

describe('the activity recorder', () => {
  it('counts accepted callbacks per command, the commands past the cap under _other', () => {
    const activity = createActivityRecorder({ maxCommands: 2 })
    activity.callbacks.accepted('A', '1', 1000)
    activity.callbacks.accepted('B', '1', 2000)
    activity.callbacks.accepted('C', '1', 3000)
    activity.callbacks.accepted('D', '1', 4000)
    activity.callbacks.accepted('A', '1', 5000)
    expect(Object.fromEntries(activity.commands)).toEqual({
      A: { accepted: 2, lastMs: 5000 },
      B: { accepted: 1, lastMs: 2000 },
      [OTHER_COMMANDS]: { accepted: 2, lastMs: 4000 },
    })
  })

  it('keeps, per reason, the count and the latest time and detail', () => {
    const activity = createActivityRecorder({ maxCommands: 10 })
    expect(activity.rejections.get('bad_signature')).toEqual({
      total: 0,
      lastMs: undefined,
      lastDetail: undefined,
    })
    activity.callbacks.rejected('bad_signature', 'first', 1000)
    activity.callbacks.rejected('bad_signature', 'second', 2000)
    expect(activity.rejections.get('bad_signature')).toEqual({ total: 2, lastMs: 2000, lastDetail: 'second' })
  })

  it("counts the app's answers per outcome in front-proxy mode", () => {
    const activity = createActivityRecorder({ maxCommands: 10 })
    activity.upstreamOutcome('ok', 1000)
    activity.upstreamOutcome('ok', 2000)
    activity.upstreamOutcome('timeout', 3000)
    expect(Object.fromEntries(activity.upstream)).toEqual({
      ok: { total: 2, lastMs: 2000 },
      timeout: { total: 1, lastMs: 3000 },
    })
  })
})
