/** A minimal typed event map for engine adapters. */
export class TypedEvents<M extends { [K in keyof M]: (...args: never[]) => void }> {
  private readonly handlers = new Map<keyof M, Set<M[keyof M]>>();

  on<E extends keyof M>(event: E, handler: M[E]): () => void {
    let set = this.handlers.get(event);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  emit<E extends keyof M>(event: E, ...args: Parameters<M[E]>): void {
    const set = this.handlers.get(event);
    if (set === undefined) return;
    for (const h of set) (h as (...a: Parameters<M[E]>) => void)(...args);
  }
}
