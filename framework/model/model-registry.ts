import { ClassRegistry } from '../support/class-registry.ts'
import { DuplicateModelNameError, InvalidModelFileError, UnknownModelError } from './errors.ts'
import { isModelClass, modelNameOf, type ModelClass } from './model.ts'

/**
 * Model names to classes (service `models`), filled from app/Models on first use. A queued job's
 * payload names its models; only a registered name is ever resolved (see model-codec.ts).
 */
export class ModelRegistry extends ClassRegistry<ModelClass> {
  constructor(autoload: string[] = []) {
    super({
      autoload,
      accepts: (value): value is ModelClass => isModelClass(value) && Boolean((value as ModelClass).table),
      nameOf: (cls) => modelNameOf(cls),
      errors: {
        unknown: (name, known) => new UnknownModelError(name, known),
        duplicate: (name) => new DuplicateModelNameError(name),
        invalidFile: (file, cause) => new InvalidModelFileError(file, cause),
      },
    })
  }
}
