/**
 * A typed event dispatcher: listeners subscribe by event class and receive that class's instances
 * (and instances of its subclasses). Listeners run in registration order and are awaited; an error in
 * a listener propagates to whoever dispatched, as in Laravel.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any constructor signature identifies an event class
export type EventClass<E extends object = object> = abstract new (...args: any[]) => E
export type Listener<E> = (event: E) => void | Promise<void>

const SETTLED: Promise<void> = Promise.resolve()

export class EventDispatcher {
  private readonly listeners = new Map<EventClass, Listener<never>[]>()

  /** Subscribes to `event`; returns a function that unsubscribes. */
  listen<E extends object>(event: EventClass<E>, listener: Listener<E>): () => void {
    const list = this.listeners.get(event) ?? []
    list.push(listener as Listener<never>)
    this.listeners.set(event, list)
    return () => this.forget(event, listener)
  }

  /** Removes one listener, or every listener of `event`. */
  forget<E extends object>(event: EventClass<E>, listener?: Listener<E>): void {
    if (!listener) {
      this.listeners.delete(event)
      return
    }
    const list = this.listeners.get(event)
    if (!list) return
    const index = list.indexOf(listener as Listener<never>)
    if (index >= 0) list.splice(index, 1)
  }

  /** Whether anything listens to `event` or a class it extends. Allocates nothing: the worker asks on every job. */
  hasListeners(event: EventClass): boolean {
    return this.listeners.size > 0 && this.listensFrom(event.prototype as object)
  }

  /** Runs the event's listeners in order; with none, returns a settled promise at once (nothing to await). */
  dispatch(event: object): Promise<void> {
    if (this.listeners.size === 0 || !this.listensFrom(Object.getPrototypeOf(event) as object | null)) return SETTLED
    return this.run(event)
  }

  private async run(event: object): Promise<void> {
    for (const listener of this.listenersFor(event)) await (listener as Listener<object>)(event)
  }

  /** Whether a listener is registered for `proto`'s class or one it extends (the walk listenersFor makes). */
  private listensFrom(proto: object | null): boolean {
    for (let p: unknown = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
      const list = this.listeners.get((p as { constructor: EventClass }).constructor)
      if (list && list.length > 0) return true
    }
    return false
  }

  /** Listeners of the event's class and of each class it extends, most specific first. */
  private listenersFor(event: object): Listener<never>[] {
    const found: Listener<never>[] = []
    for (let proto: unknown = Object.getPrototypeOf(event); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      const list = this.listeners.get((proto as { constructor: EventClass }).constructor)
      if (list) found.push(...list)
    }
    return found
  }
}
