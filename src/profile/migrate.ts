import type { Affinity, Assignment, DeviceEntry, Profile, RecentItem, Stamped } from './model'
import { FORBIDDEN_KEYS, toJson } from '../lib/toJson'
import { PROFILE_SCHEMA, setOwn } from './model'
import { byRecency, unionRecent } from './derive'
import { canonical } from './merge'

/**
 * The first prototype's stored record, before profiles followed shoppers across devices: one
 * flat record for the device that wrote it, with today's field shapes and no `schema` or `v`.
 * It becomes that device's entry, at version 1.
 */
export type ProfileV0 = Omit<DeviceEntry, 'v'> & {
  /** The device that wrote the record. */
  deviceId: string
}

type Rec = Record<string, unknown>

// toString rather than a prototype check: records from another realm (an iframe) are fine too.
const isRecord = (x: unknown): x is Rec => Object.prototype.toString.call(x) === '[object Object]'
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x)
const isId = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 200

/** Stops validation with a reason; `migrate` turns it into `{ error }`. */
const fail = (reason: string): never => {
  throw new TypeError(reason)
}

/** A copy of one map field keeping the items `item` accepts; a missing field is empty. */
const map = <T>(raw: unknown, where: string, item: (x: unknown) => T | undefined): Record<string, T> => {
  const out: Record<string, T> = {}
  if (raw === undefined) return out
  if (!isRecord(raw)) return fail(`${where} must be an object`)
  for (const key of Object.keys(raw)) {
    const clean = key && !FORBIDDEN_KEYS.includes(key) ? item(raw[key]) : undefined
    if (clean !== undefined) out[key] = clean
  }
  return out
}

const counter = (x: unknown): number | undefined => (isNum(x) && x >= 0 ? x : undefined)
const affinity = (x: unknown): Affinity | undefined => (isRecord(x) && isNum(x.s) && isNum(x.t) ? { s: x.s, t: x.t } : undefined)
const assignment = (x: unknown): Assignment | undefined =>
  isRecord(x) && isId(x.variant) && isNum(x.t) ? { variant: x.variant, t: x.t } : undefined
const stamped = (x: unknown): Stamped | undefined => {
  if (!isRecord(x) || !isNum(x.t)) return undefined
  if (x.v === undefined) return { t: x.t }
  const v = toJson(x.v)
  return typeof v === 'string' ? undefined : { v: v.json, t: x.t }
}

/** A recent list kept to its invariants: unique ids (newest time), newest first, capped. */
const recent = (raw: unknown, where: string): RecentItem[] => {
  if (raw === undefined) return []
  if (!Array.isArray(raw)) return fail(`${where} must be an array`)
  const items: RecentItem[] = []
  for (const x of raw) if (isRecord(x) && isId(x.id) && isNum(x.t)) items.push({ id: x.id, t: x.t })
  return unionRecent([items.sort(byRecency)])
}

const entry = (raw: unknown, where: string, version?: number): DeviceEntry => {
  if (!isRecord(raw)) return fail(`${where} must be an object`)
  const v = version ?? raw.v
  // A device must never reuse a version, so an entry whose version is unreadable cannot be kept.
  if (!Number.isSafeInteger(v) || (v as number) < 0) return fail(`${where}.v must be a non-negative integer`)
  return {
    v: v as number,
    counters: map(raw.counters, `${where}.counters`, counter),
    affinities: map(raw.affinities, `${where}.affinities`, affinity),
    viewed: recent(raw.viewed, `${where}.viewed`),
    carted: recent(raw.carted, `${where}.carted`),
    traits: map(raw.traits, `${where}.traits`, stamped),
    interests: map(raw.interests, `${where}.interests`, stamped),
    experiments: map(raw.experiments, `${where}.experiments`, assignment),
  }
}

/**
 * Reads a stored or received profile of any known schema and returns it at the current one, or
 * why it cannot. Never throws. Wrong shapes (not an object, unknown schema, an entry or field of
 * the wrong type, an unreadable version) are errors; malformed items inside a sound record
 * (a NaN score, a list item without an id, a `__proto__` key or device id) are dropped, and
 * recent lists are restored to their invariants. The result is a fresh copy sharing nothing
 * with `raw`; unknown fields are left out.
 */
export const migrate = (raw: unknown): { profile: Profile } | { error: string } => {
  try {
    if (!isRecord(raw)) return { error: 'a profile must be an object' }
    const devices: Record<string, DeviceEntry> = {}
    if (raw.schema === undefined && 'deviceId' in raw) {
      const id = raw.deviceId
      if (!isId(id) || FORBIDDEN_KEYS.includes(id)) return { error: 'v0 profile: deviceId must be a usable string' }
      setOwn(devices, id, entry(raw, 'v0 profile', 1))
    } else {
      if (raw.schema !== PROFILE_SCHEMA) return { error: `unsupported profile schema: ${typeof raw.schema === 'number' ? raw.schema : typeof raw.schema}` }
      if (!isRecord(raw.devices)) return { error: 'profile.devices must be an object' }
      for (const id of Object.keys(raw.devices)) {
        if (isId(id) && !FORBIDDEN_KEYS.includes(id)) devices[id] = entry(raw.devices[id], `profile.devices[${JSON.stringify(id)}]`)
      }
    }
    return { profile: { schema: PROFILE_SCHEMA, devices } }
  } catch (error) {
    return { error: error instanceof Error ? error.message : 'unreadable profile' }
  }
}

/**
 * Is `x` a current-schema profile exactly as `migrate` would leave it (every item valid, every
 * list in order, no unknown fields)? The guard for data that should already be clean.
 */
export const isProfile = (x: unknown): x is Profile => {
  try {
    const result = migrate(x)
    return 'profile' in result && canonical(result.profile) === canonical(x)
  } catch {
    return false
  }
}
