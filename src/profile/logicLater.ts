import type * as Logic from './logic'

/**
 * The script-tag build's stand-in for logic.ts (rollup.config.mjs), with the same exports. The
 * tag's page chunk, loaded once consent allows, hands over the real logic by {@link useLogic}
 * (startPage.ts, through the tag's internals). Until then the store waits for {@link later}
 * before it reads or writes anything, so nothing has been read: the view is empty, and events
 * wait in memory as they are.
 */
let real: Logic.ProfileLogic | undefined
let arrived = (): void => {}

export const foldAll: typeof Logic.foldAll = (entry, events, config) => (real ? real.foldAll(entry, events, config) : entry)

export const derive: typeof Logic.derive = (profile, now, config) =>
  real ? real.derive(profile, now, config) : { counters: {}, affinities: {}, viewed: [], carted: [], traits: {}, interests: {}, experiments: {} }

export const setInterest: typeof Logic.setInterest = (entry, ...rest) => (real ? real.setInterest(entry, ...rest) : entry)

// Called only once `later` has resolved: the store reads nothing before.
export const readStored: typeof Logic.readStored = (raw) => (real as Logic.ProfileLogic).readStored(raw)

/** Pending until the logic is in, then undefined: the store reads it at each use. Inert until then. */
export let later: typeof Logic.later = new Promise((resolve) => (arrived = resolve))

export const useLogic: typeof Logic.useLogic = (logic) => {
  real ??= logic
  later = undefined
  arrived()
}
