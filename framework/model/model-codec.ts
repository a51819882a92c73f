/**
 * SerializesModels: a model held by a queued job travels as `{ __model: 'User', key: 42 }` (its
 * registered name and key, never its attributes) and is fetched fresh when the job runs, so the job
 * sees the row as it is then, and a payload never carries a password hash.
 *
 * Two steps, because decoding a payload is synchronous and fetching is not:
 * - the payload codec's data-codec hook (registered below) writes the reference when a job is
 *   encoded, and reads it back as a ModelIdentifier placeholder;
 * - `restoreModels(job)` (the worker, after hydrating the job and before handle()) replaces every
 *   placeholder with the model fetched from its table, or throws E_MODEL_NOT_FOUND.
 */
import { Application } from '../foundation/application.ts'
import { registerDataCodec } from '../queue/payload-codec.ts'
import { ModelNotFoundError, ModelNotPersistedError } from './errors.ts'
import { castKey, isModel, modelNameOf, type BaseModel, type Key, type ModelClass } from './model.ts'
import type { ModelRegistry } from './model-registry.ts'

/** A model as the payload stores it. */
export interface ModelReference {
  __model: string
  key: Key
}

/** What a decoded payload holds where a model was, until restoreModels() fetches it. */
export class ModelIdentifier {
  constructor(
    readonly model: string,
    readonly key: Key,
  ) {}
}

/** The reference for a model (registering its class in this process, so the same process can decode it). */
export function encodeModel(model: BaseModel<object>): ModelReference {
  const cls = model.constructor as ModelClass
  const key = model.getKey()
  if (key === undefined) throw new ModelNotPersistedError(modelNameOf(cls), 'queue')
  if (Application.hasCurrent()) Application.current().make('models').register(cls)
  return { __model: modelNameOf(cls), key }
}

export function isModelReference(data: unknown): data is ModelReference {
  if (typeof data !== 'object' || data === null) return false
  const record = data as Record<string, unknown>
  return typeof record.__model === 'string' && (typeof record.key === 'number' || typeof record.key === 'string')
}

/** Fetches the model a reference names, fresh; E_UNKNOWN_MODEL for an unregistered name, E_MODEL_NOT_FOUND for a deleted row. */
export async function decodeModel(reference: ModelReference | ModelIdentifier, registry?: ModelRegistry): Promise<BaseModel<object>> {
  const name = reference instanceof ModelIdentifier ? reference.model : reference.__model
  const models = registry ?? (await Application.current().make('models').ready())
  const cls = models.resolve(name)
  const key = castKey(cls, reference.key)
  const model = await cls.find(key)
  if (!model) throw new ModelNotFoundError(name, [key])
  return model
}

/**
 * Replaces every ModelIdentifier in `target`'s own properties (and in arrays and plain objects
 * inside them) with the model fetched fresh. Throws E_MODEL_NOT_FOUND when a row is gone.
 */
export async function restoreModels(target: object, registry?: ModelRegistry): Promise<void> {
  const models = registry ?? (await Application.current().make('models').ready())
  await restoreIn(target, models, new Set())
}

/** What the worker does with a job whose model is gone: delete it silently when the job asks to. */
export function shouldDeleteWhenMissingModels(job: object, error: unknown): boolean {
  return error instanceof ModelNotFoundError && (job as { deleteWhenMissingModels?: unknown }).deleteWhenMissingModels === true
}

registerDataCodec<BaseModel<object>>({
  name: 'model',
  test: (value): value is BaseModel<object> => isModel(value),
  encode: (model) => encodeModel(model),
  decode: (data) => {
    if (!isModelReference(data)) throw new TypeError('A model reference must be { __model: string, key: number | string }.')
    return new ModelIdentifier(data.__model, data.key) as unknown as BaseModel<object>
  },
})

async function restoreIn(container: object, registry: ModelRegistry, seen: Set<object>): Promise<void> {
  if (seen.has(container)) return
  seen.add(container)
  const record = container as Record<string | number, unknown>
  for (const key of Object.keys(container)) {
    const value = record[key]
    if (value instanceof ModelIdentifier) {
      Object.defineProperty(container, key, { value: await decodeModel(value, registry), enumerable: true, writable: true, configurable: true })
    } else if (Array.isArray(value) || isPlainObject(value)) {
      await restoreIn(value as object, registry, seen)
    }
  }
}

function isPlainObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value) as object | null
  return proto === Object.prototype || proto === null
}
