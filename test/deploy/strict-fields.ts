import { join } from 'node:path'
import ts from 'typescript'
import type { KubeObject } from './kustomize.js'
import { REPO_ROOT } from './kustomize.js'

// The models' TypeScript interfaces, by kind: the JSON schemas they validate against allow unknown
// fields (as the API server's OpenAPI does), but TypeScript's excess-property check on an object
// literal does not, so it finds a misspelt or misplaced field anywhere in an object.
const INTERFACES: Record<string, [module: string, name: string]> = {
  'v1/ConfigMap': ['kubernetes-models/v1/ConfigMap', 'IConfigMap'],
  'v1/Secret': ['kubernetes-models/v1/Secret', 'ISecret'],
  'v1/Service': ['kubernetes-models/v1/Service', 'IService'],
  'v1/ServiceAccount': ['kubernetes-models/v1/ServiceAccount', 'IServiceAccount'],
  'policy/v1/PodDisruptionBudget': [
    'kubernetes-models/policy/v1/PodDisruptionBudget',
    'IPodDisruptionBudget',
  ],
  'networking.k8s.io/v1/Ingress': ['kubernetes-models/networking.k8s.io/v1/Ingress', 'IIngress'],
  'apps/v1/Deployment': ['kubernetes-models/apps/v1/Deployment', 'IDeployment'],
  'networking.k8s.io/v1/NetworkPolicy': [
    'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    'INetworkPolicy',
  ],
  'monitoring.coreos.com/v1/PodMonitor': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor',
    'IPodMonitor',
  ],
  'monitoring.coreos.com/v1/ServiceMonitor': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    'IServiceMonitor',
  ],
  'monitoring.coreos.com/v1/PrometheusRule': [
    '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
    'IPrometheusRule',
  ],
}

/**
 * Type-checks the objects as literals of their kinds' interfaces and returns one message per field
 * that the kind does not have (or that has the wrong type), naming the object. Each distinct object is
 * checked once: the renderings of a matrix share most of theirs.
 */
export function unknownFields(rendered: KubeObject[]): string[] {
  const objects = [...new Map(rendered.map((object) => [JSON.stringify(object), object])).values()]
  const lines: string[] = []
  const owners: string[] = []
  for (const [index, object] of objects.entries()) {
    const key = `${object.apiVersion}/${object.kind}`
    const entry = INTERFACES[key]
    if (!entry) return [`${object.kind} ${object.metadata.name}: no interface for ${key}`]
    const [module, name] = entry
    lines.push(`import type { ${name} as T${index} } from '${module}'`)
    owners.push(`${object.kind} ${object.metadata.name}`)
  }
  for (const [index, object] of objects.entries()) {
    lines.push(`export const o${index}: T${index} = ${JSON.stringify(object)}`)
  }
  const fileName = join(REPO_ROOT, 'test/deploy/__rendered__.ts')
  const source = lines.join('\n')
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  }
  const host = ts.createCompilerHost(options)
  const readFile = host.readFile
  host.readFile = (path) => (path === fileName ? source : readFile(path))
  const fileExists = host.fileExists
  host.fileExists = (path) => path === fileName || fileExists(path)
  const getSourceFile = host.getSourceFile
  host.getSourceFile = (path, language, ...rest) =>
    path === fileName ? ts.createSourceFile(path, source, language) : getSourceFile(path, language, ...rest)
  const program = ts.createProgram([fileName], options, host)
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')
    if (!diagnostic.file || diagnostic.start === undefined) return text
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start)
    const owner = owners[line - objects.length] ?? `line ${line}`
    return `${owner}: ${text}`
  })
}
