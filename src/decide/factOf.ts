import { hasOwn } from '../profile/model'

/**
 * `o[k]` when `o` has `k` itself, else undefined. Keys come from config and pages: a plain `o[k]`
 * would find `constructor` or `__proto__` on every object.
 */
export const own = (o: unknown, k: string): unknown => {
  // Read first: most lookups miss, and a miss needs no hasOwn (several times the cost of a read).
  const v = o == null ? undefined : (o as Record<string, unknown>)[k]
  return v !== undefined && hasOwn(o as object, k) ? v : undefined
}

/**
 * Split paths, by path. Keys sliced afresh on every lookup cost a string-table probe each time;
 * cached ones are found at once. Paths come from config, so there are few; the cap bounds misuse.
 */
const paths = /* @__PURE__ */ new Map<string, string[]>()

/** Only the leading dots split: two under `profile`, one under any other root. */
const split = (path: string): string[] => {
  const keys = path.split('.')
  const n = keys[0] == 'profile' ? 2 : 1
  return keys.length > n + 1 ? [...keys.slice(0, n), keys.slice(n).join('.')] : keys
}

/**
 * The value at a dotted fact path, or undefined. Only the leading dots split, two under `profile`
 * and one under any other root, so the last part is one key whatever it holds:
 * `profile.affinities.category:running` → `facts.profile.affinities['category:running']`,
 * `page.path` → `facts.page.path`, `profile.viewed.length` → the list's length. Never throws.
 */
export const factOf = (facts: unknown, path: string): unknown => {
  let keys = paths.get(path)
  if (!keys) {
    if (paths.size >= 1000) paths.clear()
    paths.set(path, (keys = split(path)))
  }
  let node = facts
  for (const k of keys) node = own(node, k)
  return node
}
