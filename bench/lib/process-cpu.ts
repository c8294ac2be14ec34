import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_SECOND = 100

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; undefined where there
 * is no /proc. CPU time per request is steadier than req/s on a machine that other work shares.
 */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // utime and stime are fields 14 and 15 of the whole line, so 12 and 13 after the name.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
}

/**
 * CPU seconds of a process and of its descendants that are running now (nginx's master and its
 * workers), from /proc/<pid>/task/<tid>/children; undefined where there is no /proc.
 */
export function treeCpuSeconds(pid: number): number | undefined {
  const own = cpuSeconds(pid)
  if (own === undefined) return undefined
  let total = own
  for (const child of childrenOf(pid)) total += treeCpuSeconds(child) ?? 0
  return total
}

function childrenOf(pid: number): number[] {
  const children: number[] = []
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim()
      if (list !== '') children.push(...list.split(' ').map(Number))
    }
  } catch {}
  return children
}
