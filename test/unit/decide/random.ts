/** Seeded PRNGs for deterministic statistical tests. */

/** mulberry32: a small, fast, well-mixed 32-bit PRNG, uniform in [0, 1). */
export const mulberry32 = (seed: number): (() => number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A generator of UUIDv4-shaped strings drawn from `random`. */
export const uuidFrom = (random: () => number) => (): string =>
  'xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx'.replace(/[xy]/g, (c) => {
    const r = Math.floor(random() * 16)
    return (c === 'x' ? r : (r & 0x3) | 0x8).toString(16)
  })
