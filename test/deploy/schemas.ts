import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import * as apps from 'kubernetes-models/apps/v1'
import * as networking from 'kubernetes-models/networking.k8s.io/v1'
import * as policy from 'kubernetes-models/policy/v1'
import * as core from 'kubernetes-models/v1'
import type { KubeObject } from './kustomize.js'

interface ModelClass {
  apiVersion: string
  kind: string
  new (data: unknown): { validate(): void }
}

const isModelClass = (value: unknown): value is ModelClass =>
  typeof value === 'function' &&
  typeof (value as Partial<ModelClass>).apiVersion === 'string' &&
  typeof (value as Partial<ModelClass>).kind === 'string'

// The API groups the manifests may use; an object of any other kind fails the test.
const models = new Map<string, ModelClass>()
for (const module of [core, apps, networking, policy, monitoring]) {
  for (const value of Object.values(module)) {
    if (isModelClass(value)) models.set(`${value.apiVersion}/${value.kind}`, value)
  }
}

/**
 * Checks one rendered object against the Kubernetes or prometheus-operator OpenAPI schema
 * (kubernetes-models, @kubernetes-models/prometheus-operator); throws naming the object and field.
 */
export function validateObject(object: KubeObject): void {
  const model = models.get(`${object.apiVersion}/${object.kind}`)
  const name = `${object.kind} ${object.metadata?.name}`
  if (!model) throw new Error(`${name}: no schema for ${object.apiVersion} ${object.kind}`)
  // kustomize wraps a long Secret value's base64 at 70 columns; the API server's decoder skips the line
  // breaks (Go's base64 ignores \r and \n), the schema's "byte" format does not.
  const checked =
    object.kind === 'Secret' && object.data
      ? {
          ...object,
          data: Object.fromEntries(
            Object.entries(object.data).map(([k, v]) => [k, v.replace(/[\r\n]/g, '')]),
          ),
        }
      : object
  try {
    new model(checked).validate()
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`)
  }
}
