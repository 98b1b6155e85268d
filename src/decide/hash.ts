/** FNV-1a 32 from state `h` over the string's UTF-16 code units (ASCII ids hash as their bytes would). */
const fnv = (s: string, h: number): number => {
  // `| 0` makes the state a 32-bit integer before the loop. The offset basis is above 2^31, so
  // without it V8 compiles the loop for any number, not int32: decide() measured ~30 % slower.
  h |= 0
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h
}

/** murmur3's finaliser: FNV-1a alone leaves the high bits, the ones a bucket reads, poorly mixed. */
const fmix = (h: number): number => {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const OFFSET = 0x811c9dc5

/**
 * 32-bit FNV-1a followed by murmur3's `fmix32`, as an unsigned integer. Deterministic wherever
 * `Math.imul` is; the server and other languages reproduce it from the two references.
 * @see http://www.isthe.com/chongo/tech/comp/fnv/
 * @see https://github.com/aappleby/smhasher/blob/master/src/MurmurHash3.cpp
 */
export const hash = (s: string): number => fmix(fnv(s, OFFSET))

/**
 * Where `id` falls for `seed + salt`, uniform in [0, 1): `hash(seed + salt + '|' + id) / 2^32`, so
 * the same pair always lands in the same place and different seeds (`exp`, `exp:traffic`,
 * `exp:holdout`) place a visitor independently. Seeds are config ids, which cannot hold `|`, so
 * the join is unambiguous.
 */
export const bucket = (seed: string, id: string, salt = ''): number =>
  // Hashed part by part rather than over the joined string: joining builds a string to flatten,
  // which costs as much as the hashing itself on the decision path. `salt` is a part of its own
  // for the same reason (`bucket(key, id, ':traffic')`).
  fmix(fnv(id, fnv('|', fnv(salt, fnv(seed, OFFSET))))) / 4294967296
