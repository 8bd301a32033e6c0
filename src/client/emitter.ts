/**
 * A small typed event emitter for the browser (no Node `events`). Event maps name each event and
 * the tuple of its arguments, like mediasoup's `ProducerEvents`:
 *
 *   type RoomEvents = { participantJoined: [RemoteParticipant] };
 */
export type EventMap = Record<string, unknown[]>;
type Listener<A extends unknown[]> = (...args: A) => void;
/** Any listener: every `Listener<A>` is assignable to it. */
type StoredListener = (...args: never) => void;

export class TypedEmitter<E extends EventMap> {
  readonly #listeners = new Map<keyof E, Set<StoredListener>>();
  /** `once` listeners -> their wrappers, so `off(listener)` removes a pending `once` too. */
  readonly #onceWrappers = new WeakMap<StoredListener, StoredListener>();

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    let set = this.#listeners.get(event);
    if (!set) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapped: Listener<E[K]> = (...args) => {
      this.off(event, listener);
      listener(...args);
    };
    this.#onceWrappers.set(listener, wrapped);
    return this.on(event, wrapped);
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const set = this.#listeners.get(event);
    set?.delete(listener);
    const wrapped = this.#onceWrappers.get(listener);
    if (wrapped) {
      set?.delete(wrapped);
      this.#onceWrappers.delete(listener);
    }
    return this;
  }

  removeAllListeners(): void {
    this.#listeners.clear();
  }

  /** Calls each listener; a throwing listener is reported and does not stop the others. */
  emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<E[K]>)(...args);
      } catch (err) {
        console.error(`[parley] listener for "${String(event)}" threw`, err);
      }
    }
  }
}
