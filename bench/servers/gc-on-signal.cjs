// Preloaded into the exporter by the memory benchmark (`node --expose-gc --require <this file>`):
// SIGUSR2 runs a full garbage collection, so that heap figures read right after it count live objects.
process.on('SIGUSR2', () => globalThis.gc?.())
