/**
 * The core every manager shares (database, queue, cache, mail): an instance per configured name, built
 * on first use and kept until the manager closes. A build that returns a rejected promise is forgotten,
 * so the next call tries again instead of replaying the old failure.
 */
export class NamedInstances<T> {
  private readonly built = new Map<string, T>()

  constructor(private readonly build: (name: string) => T) {}

  get(name: string): T {
    let instance = this.built.get(name)
    if (instance === undefined) {
      instance = this.build(name)
      this.built.set(name, instance)
      if (instance instanceof Promise) {
        const pending = instance
        pending.catch(() => {
          if (this.built.get(name) === pending) this.built.delete(name)
        })
      }
    }
    return instance
  }

  /** What `name` has built so far, without building it. */
  peek(name: string): T | undefined {
    return this.built.get(name)
  }

  forget(name: string): void {
    this.built.delete(name)
  }

  /** Empties the set and hands back what was built, for the caller to close. */
  drain(): T[] {
    const all = [...this.built.values()]
    this.built.clear()
    return all
  }
}

/** The entry `name` of a config map, ignoring inherited keys (`constructor`, `__proto__`). */
export function configEntry<V>(entries: Record<string, V>, name: string): V | undefined {
  return Object.hasOwn(entries, name) ? entries[name] : undefined
}
