/**
 * The profile's pure logic, as the store (createProfileStore.ts) imports it: folding events,
 * stating preferences, deriving the view, reading what was stored.
 *
 * The script-tag build puts logicLater.ts in this module's place (rollup.config.mjs), and the
 * tag's page chunk, loaded once consent allows, hands it the real thing: before consent a
 * shopper's browser has no profile to read or fold, so it does not download these bytes.
 */
import { derive } from './derive'
import { foldAll, setInterest } from './fold'
import { readStored } from './readStored'

export { derive, foldAll, readStored, setInterest }

/** The logic the tag's page chunk hands over (startPage.ts). */
export interface ProfileLogic {
  foldAll: typeof foldAll
  setInterest: typeof setInterest
  derive: typeof derive
  readStored: typeof readStored
}

export const profileLogic: ProfileLogic = { foldAll, setInterest, derive, readStored }

/**
 * What the store must wait for before it understands or writes the profile: here, nothing. In the
 * tag, it resolves to true once the logic is in (then becomes undefined), or to false when it
 * never will be (the page chunk did not load).
 */
export const later: Promise<boolean> | undefined = undefined

/** Hands over the logic: here, where it is already in, nothing to do. */
export const useLogic = (_logic: ProfileLogic): void => {}

/** Says the logic will not come (the tag's page chunk did not load): here, nothing to do. */
export const noLogic = (): void => {}
