// The job middleware, importable as '#kiln/queue/middleware'.
export * from './middleware/index.ts'
