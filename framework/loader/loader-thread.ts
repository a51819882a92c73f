/**
 * The thread that Kiln's TypeScript loader runs anyway (Node 20 runs module hooks off the main thread,
 * see register.mjs), offered for small background duties so that they cost no thread of their own.
 * Absent when the process runs without the loader (vitest, compiled code): callers start a thread then.
 */
export interface LoaderThread {
  /**
   * Runs `source` on the loader thread as the body of a function of `require` and `workerData` (`data`,
   * structured-cloned: a SharedArrayBuffer is shared). It must not throw or block: it shares the thread
   * with module loading.
   */
  run(source: string, data: unknown): void
}

export function loaderThread(): LoaderThread | undefined {
  return (globalThis as Record<symbol, LoaderThread | undefined>)[Symbol.for('kiln.loaderThread')]
}
