import { emptyEntry, PROFILE_SCHEMA, type DeviceEntry, type Profile } from './model'

type Rec = Record<string, unknown>

/** A plain object: not null, not an array. */
export const isRecord = (x: unknown): x is Rec => typeof x === 'object' && x !== null && !Array.isArray(x)

const MAPS = ['counters', 'affinities', 'traits', 'interests', 'experiments'] as const

const isEntry = (x: unknown): x is DeviceEntry =>
  isRecord(x) && Number.isSafeInteger(x.v) && MAPS.every((k) => isRecord(x[k])) && Array.isArray(x.viewed) && Array.isArray(x.carted)

/**
 * The profile this device stored, at the current schema, or why it cannot be read. The first
 * schema (v0: one flat record with a `deviceId`) becomes that device's entry at version 1.
 *
 * It checks the shape attune writes, not every item: this is attune's own data read back from
 * the shopper's browser. Untrusted profiles — anything a client sends the server — go through
 * `migrate`, which checks and repairs item by item.
 */
export const readStored = (raw: unknown): Profile | string => {
  if (isRecord(raw) && raw.schema === undefined && typeof raw.deviceId === 'string') {
    const { deviceId, ...fields } = raw
    raw = { schema: PROFILE_SCHEMA, devices: { [deviceId]: { ...emptyEntry(), ...fields, v: 1 } } }
  }
  if (!isRecord(raw) || raw.schema !== PROFILE_SCHEMA) return `unknown schema ${isRecord(raw) ? String(raw.schema) : typeof raw}`
  if (!isRecord(raw.devices) || !Object.values(raw.devices).every(isEntry)) return 'a device entry has the wrong shape'
  return raw as unknown as Profile
}
