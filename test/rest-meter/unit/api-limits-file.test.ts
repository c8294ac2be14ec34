import { describe, expect, it } from 'vitest'
import { parseApiLimits } from '../../../src/rest-meter/api-limits-file.js'

describe('parseApiLimits', () => {
  it('reads <servicename>/<command>: <calls per second>, comments and fractions included', () => {
    const parsed = parseApiLimits(
      '# raised in the console\nopenim/sendmsg: 400\ngroup_open_http_svc/send_group_msg: 300 # too\ntimpush/push: 0.00116\n',
    )
    expect(parsed).toEqual({
      ok: true,
      limits: new Map([
        ['openim/sendmsg', 400],
        ['group_open_http_svc/send_group_msg', 300],
        ['timpush/push', 0.00116],
      ]),
    })
  })

  it.each(['', '\n', '# nothing yet\n', '~\n'])('reads %j as no limits', (content) => {
    expect(parseApiLimits(content)).toEqual({ ok: true, limits: new Map() })
  })

  it.each([
    ['openim/sendmsg: [400\n', 'not valid YAML'],
    ['openim/sendmsg: 1\nopenim/sendmsg: 2\n', 'not valid YAML'],
    ['- openim/sendmsg\n', 'must be a mapping'],
    ['400\n', 'must be a mapping'],
    ['sendmsg: 400\n', '"sendmsg" is not <servicename>/<command>'],
    ['/v4/openim/sendmsg: 400\n', 'is not <servicename>/<command>'],
    ['openim/sendmsg/x: 400\n', 'is not <servicename>/<command>'],
    ['openim/../x: 400\n', 'is not <servicename>/<command>'],
    ['"open im/sendmsg": 400\n', 'is not <servicename>/<command>'],
    ['openim/sendmsg: 0\n', 'openim/sendmsg: the limit must be a positive number'],
    ['openim/sendmsg: -5\n', 'positive number'],
    ['openim/sendmsg: fast\n', 'positive number'],
    ['openim/sendmsg: "400"\n', 'positive number'],
    ['openim/sendmsg: .inf\n', 'positive number'],
    ['openim/sendmsg: .nan\n', 'positive number'],
    ['openim/sendmsg:\n', 'positive number'],
    ['openim/sendmsg: {per_second: 5}\n', 'positive number'],
  ])('refuses %j: %s', (content, problem) => {
    const parsed = parseApiLimits(content)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.problem).toContain(problem)
  })

  it('refuses a document that expands aliases without bound', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 0; i < 12; i++) {
      const previous = String.fromCharCode(97 + i)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${previous}`).join(', ')}]`,
      )
    }
    const parsed = parseApiLimits(`${lines.join('\n')}\n`)
    expect(parsed).toEqual({ ok: false, problem: expect.stringMatching(/^not valid YAML: .*alias/) })
  })
})
