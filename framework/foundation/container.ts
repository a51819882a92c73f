import { KilnError } from '../support/errors.ts'

type Factory<T> = () => T
type Closer<T> = (instance: T) => Promise<void> | void

interface Binding<T> {
  factory: Factory<T>
  close?: Closer<T>
  instance?: T
  resolved: boolean
}

export class UnknownServiceError extends KilnError {
  constructor(key: string) {
    super('E_UNKNOWN_SERVICE', `No service is bound as "${key}". Bind it with app.singleton("${key}", factory) first.`)
  }
}

/**
 * A typed, lazy service container: a service is built the first time it is asked for, and closed on
 * shutdown only if it was ever built. That is what lets `craft list` start without opening a database.
 */
export class Container<Services extends object> {
  private readonly bindings = new Map<keyof Services, Binding<unknown>>()

  singleton<K extends keyof Services>(key: K, factory: Factory<Services[K]>, close?: Closer<Services[K]>): void {
    this.bindings.set(key, { factory, close: close as Closer<unknown> | undefined, resolved: false })
  }

  /** Replaces a binding with a ready instance (tests, fakes). */
  instance<K extends keyof Services>(key: K, value: Services[K], close?: Closer<Services[K]>): void {
    this.bindings.set(key, { factory: () => value, close: close as Closer<unknown> | undefined, instance: value, resolved: true })
  }

  make<K extends keyof Services>(key: K): Services[K] {
    const binding = this.bindings.get(key)
    if (!binding) throw new UnknownServiceError(String(key))
    if (!binding.resolved) {
      binding.instance = binding.factory()
      binding.resolved = true
    }
    return binding.instance as Services[K]
  }

  resolved(key: keyof Services): boolean {
    return this.bindings.get(key)?.resolved ?? false
  }

  /** Closes every built service, most recently bound first. */
  async closeAll(): Promise<void> {
    const bindings = [...this.bindings.values()].reverse()
    for (const binding of bindings) {
      if (binding.resolved && binding.close) await binding.close(binding.instance)
      binding.resolved = false
      binding.instance = undefined
    }
  }
}
