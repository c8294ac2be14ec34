/**
 * The map kept under `key` in a map of maps, created empty the first time. The exporter keeps label
 * objects and records by two or three parts (the callbacks counter, the request-duration histogram,
 * the index of tracked APIs) so that a request finds its own without building a key string.
 */
export function innerMap<K, K2, V>(outer: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = outer.get(key)
  if (inner === undefined) {
    inner = new Map()
    outer.set(key, inner)
  }
  return inner
}
