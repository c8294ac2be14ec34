import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const OUT_DIR = join(ROOT, 'bench/.out')
// One directory per run, so that two runs (a developer's and the quick test's) never share files.
const RUN_DIR = join(OUT_DIR, `run-${process.pid}`)
const BUILD_DIR = join(RUN_DIR, 'build')
const SERVERS_DIR = join(RUN_DIR, 'servers')

/**
 * The production build: every file of tsconfig.build.json compiled with its compiler options, into
 * bench/.out/build instead of dist/ so that a benchmark never rewrites files another test is running.
 * The project sets isolatedModules, so compiling file by file emits the same JavaScript as
 * `npm run build` in a fraction of the time, and does not stop at a type error elsewhere (type-checking
 * is `npm test`'s job). package.json goes beside it, as in the Docker image, for the version.
 * Returns the path of the entry point.
 */
function buildExporter(root = ROOT, buildDir = BUILD_DIR): string {
  rmSync(buildDir, { recursive: true, force: true })
  const configPath = join(root, 'tsconfig.build.json')
  const { config } = ts.readConfigFile(configPath, ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, root, undefined, configPath)
  for (const file of parsed.fileNames) {
    if (file.endsWith('.d.ts')) continue
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      // package.json says "type": "module", so NodeNext emits ES modules: say so, file by file.
      compilerOptions: { ...parsed.options, module: ts.ModuleKind.ESNext, sourceMap: false },
    })
    const out = join(buildDir, relative(root, file)).replace(/\.ts$/, '.js')
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, outputText)
  }
  copyFileSync(join(root, 'package.json'), join(buildDir, 'package.json'))
  return join(buildDir, 'src/main.js')
}

/**
 * The production build of another commit (`git archive` of its sources into this run's directory),
 * for comparing a change with what it changes in the same run. Returns the path of its entry point.
 */
export function buildExporterAt(ref: string): string {
  const root = join(RUN_DIR, 'baseline')
  rmSync(root, { recursive: true, force: true })
  mkdirSync(root, { recursive: true })
  const archive = execFileSync(
    'git',
    ['archive', ref, 'src', 'package.json', 'tsconfig.json', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
    },
  )
  execFileSync('tar', ['-x', '-C', root], { input: archive })
  return buildExporter(root, join(root, 'build'))
}

/** The comparison servers of bench/servers, by file name. */
const REFERENCE_SERVERS = ['bare', 'floor', 'chat-stand-in', 'egress-floor'] as const

/**
 * Turns the comparison servers of bench/servers into plain JavaScript, so that they run under plain
 * node as the exporter does (a loader such as tsx adds a hooks thread, and a profile of its own). They
 * are type-checked with the rest of the project; here they are only transpiled, which takes
 * milliseconds. Returns the directory holding `bare.js`, `floor.js` and the others.
 */
function buildReferenceServers(): string {
  rmSync(SERVERS_DIR, { recursive: true, force: true })
  mkdirSync(SERVERS_DIR, { recursive: true })
  for (const name of REFERENCE_SERVERS) {
    const source = readFileSync(join(ROOT, 'bench/servers', `${name}.ts`), 'utf8')
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    })
    writeFileSync(join(SERVERS_DIR, `${name}.js`), outputText)
  }
  return SERVERS_DIR
}

/** Entry points of the servers, as plain JavaScript. */
export interface Builds {
  exporter: string
  bare: string
  floor: string
  /** The REST meter's benchmark: a fast stand-in for Chat over HTTPS, and the meter's floor. */
  chatStandIn: string
  egressFloor: string
}

/** Removes this run's builds (the servers have stopped by then). */
export function removeBuilds(): void {
  rmSync(RUN_DIR, { recursive: true, force: true })
}

export function buildAll(): Builds {
  const servers = buildReferenceServers()
  return {
    exporter: buildExporter(),
    bare: join(servers, 'bare.js'),
    floor: join(servers, 'floor.js'),
    chatStandIn: join(servers, 'chat-stand-in.js'),
    egressFloor: join(servers, 'egress-floor.js'),
  }
}
