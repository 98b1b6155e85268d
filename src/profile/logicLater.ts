import type * as Logic from './logic'

/**
 * The script-tag build's stand-in for logic.ts (rollup.config.mjs): the exports the store and the
 * tag import from it. The tag's page chunk, loaded once consent allows, hands over the real logic
 * by {@link useLogic} (startPage.ts, through the tag's internals). Until then the store reads the
 * stored profile but waits for {@link later} to understand it, and writes nothing: its view is
 * empty, and events wait in memory as they are. If the page chunk does not load, {@link noLogic}
 * lets the store settle with nothing understood and nothing written.
 */
let real: Logic.ProfileLogic | undefined
let arrived = (_ok: boolean): void => {}
/** Said by noLogic: a logic handed over after that is not used, as the store gave up on it. */
let gone = false

export const foldAll: typeof Logic.foldAll = (entry, events, config) => (real ? real.foldAll(entry, events, config) : entry)

export const derive: typeof Logic.derive = (profile, now, config) =>
  real ? real.derive(profile, now, config) : { counters: {}, affinities: {}, viewed: [], carted: [], traits: {}, interests: {}, experiments: {} }

export const setInterest: typeof Logic.setInterest = (entry, ...rest) => (real ? real.setInterest(entry, ...rest) : entry)

// Called only once `later` has resolved: the store reads nothing before.
export const readStored: typeof Logic.readStored = (raw) => (real as Logic.ProfileLogic).readStored(raw)

/** Pending until the logic is in (then undefined) or will not come (then resolved to false); the store reads it at each use. */
export let later: typeof Logic.later = new Promise((resolve) => (arrived = resolve))

export const useLogic: typeof Logic.useLogic = (logic) => {
  if (gone) return
  real ??= logic
  later = undefined
  arrived(true)
}

export const noLogic: typeof Logic.noLogic = () => {
  if (real) return
  gone = true
  arrived(false)
}
