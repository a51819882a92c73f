/**
 * The services an Application can build, by key. Each module adds its own entry with declaration
 * merging in its provider file, so the foundation does not import every module:
 *
 *   declare module '../foundation/services.ts' { interface Services { db: DatabaseManager } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Services {}
