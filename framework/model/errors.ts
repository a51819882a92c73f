import { KilnError } from '../support/errors.ts'

/** Laravel's ModelNotFoundException: findOrFail, firstOrFail, or a queued job's model deleted meanwhile. */
export class ModelNotFoundError extends KilnError {
  constructor(
    readonly model: string,
    readonly ids: unknown[] = [],
  ) {
    const keys = ids.length > 0 ? ` ${ids.map(String).join(', ')}` : ''
    super('E_MODEL_NOT_FOUND', `No query results for model [${model}]${keys}.`)
  }
}

export class UnknownModelError extends KilnError {
  constructor(name: string, known: string[]) {
    const list = known.length > 0 ? known.join(', ') : 'none'
    super('E_UNKNOWN_MODEL', `No model is registered as "${name}" (registered: ${list}). Export the class from a file in app/Models, or register it with app.make('models').register(${name}).`)
  }
}

export class DuplicateModelNameError extends KilnError {
  constructor(name: string) {
    super('E_DUPLICATE_MODEL_NAME', `Two different model classes are named "${name}". Rename one, or set a distinct \`static modelName\` on it.`)
  }
}

export class InvalidModelFileError extends KilnError {
  constructor(file: string, cause: unknown) {
    super('E_INVALID_MODEL_FILE', `The model file ${file} could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}. Fix the error in that file.`, { cause })
  }
}

/** update(), delete(), increment() need a row: the model must have been saved (it has a key). */
export class ModelNotPersistedError extends KilnError {
  constructor(model: string, action: string) {
    super('E_MODEL_NOT_PERSISTED', `Cannot ${action} a ${model} that has no primary key yet. Create it first (${model}.create({...})).`)
  }
}

export class MissingModelTableError extends KilnError {
  constructor(model: string) {
    super('E_MISSING_MODEL_TABLE', `The model ${model} names no table. Add \`static override table = '...'\` to the class.`)
  }
}
