/**
 * A REST API of Chat: `v4/<servicename>/<command>`. Each part is a label value (docs/metrics.md):
 * 1–128 letters, digits, `_`, `.` or `-`, and neither `.` nor `..`.
 */
export interface ChatApi {
  serviceName: string
  command: string
}

const SEGMENT = /^[A-Za-z0-9_.-]{1,128}$/

export const isApiSegment = (segment: string) => SEGMENT.test(segment) && segment !== '.' && segment !== '..'

/**
 * The API a request target names, and the query that follows it (without `?`, as sent), or why the
 * target is not one the meter forwards. Only origin-form targets `/v4/<servicename>/<command>[?query]`
 * pass: an absolute-form target (`http://host/…`), an encoded character (`%2F`, `%2E`), a dot segment,
 * an empty or extra segment, or a fragment is refused, so that nothing but Chat's REST APIs on
 * CHAT_REST_URL can be reached through the meter.
 */
export function parseChatApiTarget(
  target: string,
): { ok: true; api: ChatApi; rawQuery: string } | { ok: false; problem: string } {
  const queryAt = target.indexOf('?')
  const path = queryAt === -1 ? target : target.slice(0, queryAt)
  const rawQuery = queryAt === -1 ? '' : target.slice(queryAt + 1)
  if (!path.startsWith('/v4/')) return { ok: false, problem: 'the path must start with /v4/' }
  const parts = path.slice(4).split('/')
  if (parts.length !== 2) return { ok: false, problem: 'the path must be /v4/<servicename>/<command>' }
  const [serviceName = '', command = ''] = parts
  if (!isApiSegment(serviceName) || !isApiSegment(command)) {
    return {
      ok: false,
      problem:
        'servicename and command must each be 1-128 letters, digits, "_", "." or "-", and not "." or ".."',
    }
  }
  if (rawQuery.includes('#')) return { ok: false, problem: 'the target must not carry a fragment' }
  return { ok: true, api: { serviceName, command }, rawQuery }
}
