import type { DeviceEntry, Profile } from './model'
import { PROFILE_SCHEMA, hasOwn, setOwn } from './model'

/**
 * A canonical string for a JSON-like value: object keys sorted, and every value that deep
 * equality tells apart spelt differently (`-0`, `NaN`, `undefined` included, unlike JSON), so
 * equal strings mean deep-equal values.
 */
export const canonical = (value: unknown): string => {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value)
  if (typeof value !== 'object' || value === null) return value === undefined ? 'undefined' : JSON.stringify(value)
  let out: string
  if (Array.isArray(value)) {
    out = '['
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + canonical(value[i])
    return out + ']'
  }
  const keys = Object.keys(value).sort()
  out = '{'
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string
    out += (i ? ',' : '') + JSON.stringify(key) + ':' + canonical((value as Record<string, unknown>)[key])
  }
  return out + '}'
}

/**
 * The winner between two entries of one device: the higher version, and for equal versions with
 * different content (two replicas of a device that forked, e.g. a restored backup) the greater
 * canonical form. Any total order works; it only has to be the same on every replica.
 */
const pick = (a: DeviceEntry, b: DeviceEntry): DeviceEntry => {
  if (a === b || a.v > b.v) return a
  if (b.v > a.v) return b
  return canonical(a) >= canonical(b) ? a : b
}

/**
 * Merges two replicas of a profile: per device, the entry with the higher version. Commutative,
 * associative and idempotent (results are deep-equal whatever the order or grouping), so any
 * replicas that saw the same entries agree. Inputs are not mutated; entries are shared with them,
 * which is safe because entries are never mutated (`fold` and friends return new ones).
 * Device ids come out sorted so even key order does not depend on the argument order.
 */
export const merge = (a: Profile, b: Profile): Profile => {
  const ids = Object.keys(a.devices).concat(Object.keys(b.devices)).sort()
  const devices: Record<string, DeviceEntry> = {}
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string
    if (id === ids[i - 1]) continue
    const x = hasOwn(a.devices, id) ? a.devices[id] : undefined
    const y = hasOwn(b.devices, id) ? b.devices[id] : undefined
    setOwn(devices, id, x && y ? pick(x, y) : ((x ?? y) as DeviceEntry))
  }
  return { schema: PROFILE_SCHEMA, devices }
}
