/** Kiln's batched mode in the bench: `--prefetch` of graphile-worker's batched localQueue size, which it is compared with. */
export const PREFETCH = 500
