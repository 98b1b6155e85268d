/**
 * `localStorage`, or undefined where it is missing or blocked. Merely reading the property
 * throws in sandboxed frames and when the shopper blocks site data, so it is never touched bare.
 */
export const localStore = (): Storage | undefined => {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage
  } catch {
    return undefined
  }
}
