/** A listener is any function of one payload. */
export type Listener<T> = (payload: T) => void

/** A tiny typed event emitter whose listeners can never break each other or the caller. */
export interface Emitter<M> {
  /** Subscribe; returns the matching unsubscribe. */
  on<K extends keyof M>(type: K, fn: Listener<M[K]>): () => void
  /** Call every listener of `type` in subscription order. */
  emit<K extends keyof M>(type: K, payload: M[K]): void
  /** Forget every listener. */
  clear(): void
}

/**
 * Creates an emitter. A listener that throws is isolated: the error goes to `onThrow`
 * and the remaining listeners still run (a host page's bug must not silence ours, or theirs).
 */
/* @__NO_SIDE_EFFECTS__ */
export const createEmitter = <M>(onThrow: (error: unknown, type: keyof M) => void): Emitter<M> => {
  const listeners = new Map<keyof M, Set<Listener<never>>>()
  return {
    on(type, fn) {
      let set = listeners.get(type)
      if (!set) listeners.set(type, (set = new Set()))
      // Wrap so the same function subscribed twice gets two independent subscriptions.
      const entry: Listener<never> = (payload) => (fn as Listener<unknown>)(payload)
      set.add(entry)
      return () => {
        set.delete(entry)
      }
    },
    emit(type, payload) {
      for (const fn of [...(listeners.get(type) ?? [])]) {
        try {
          ;(fn as Listener<unknown>)(payload)
        } catch (error) {
          onThrow(error, type)
        }
      }
    },
    clear() {
      listeners.clear()
    },
  }
}
