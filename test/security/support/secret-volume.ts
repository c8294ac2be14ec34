import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A folder laid out like a Kubernetes Secret volume, updated the way kubelet's atomic writer does it:
 * each version in a new timestamped folder, `..data` pointing at the current one, each key a symlink
 * through `..data`; an update points `..data_tmp` at the new folder and renames it over `..data`.
 */
export function secretVolume(files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'tce-secret-'))
  let version = 0
  let current: string | undefined

  const write = (contents: Record<string, string>) => {
    version += 1
    const folder = `..2026_01_0${version}_00_00_00.${1000 + version}`
    mkdirSync(join(dir, folder))
    for (const [name, content] of Object.entries(contents)) writeFileSync(join(dir, folder, name), content)
    symlinkSync(folder, join(dir, '..data_tmp'))
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
    if (current !== undefined) rmSync(join(dir, current), { recursive: true })
    current = folder
  }

  write(files)
  for (const name of Object.keys(files)) symlinkSync(join('..data', name), join(dir, name))
  return {
    dir,
    path: (name: string) => join(dir, name),
    /** Replaces every key's content at once, as an update of the Secret does. */
    update: write,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}
