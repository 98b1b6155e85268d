import type { Report } from '../lib/errors'
import type { KeyValue } from '../storage/createKeyValue'
// In the script tag, the stand-ins of logicLater.ts until its page chunk brings the logic.
import { derive, foldAll, later, readStored, setInterest } from './logic'
import { emptyEntry, emptyProfile, type DeviceEntry, type JsonValue, type Profile, type ProfileConfig, type ProfileEvent, type ProfileView } from './model'

/** A change to this device's entry, waiting to be written: an event, or a stated preference. */
type Change = ProfileEvent | ((entry: DeviceEntry) => DeviceEntry)

/** This browser's own identity record, stored beside the profile. Persisted names: never minified. */
export interface DeviceRecord {
  schema: 1
  /** This device's id: its key in `Profile.devices`. */
  device: string
  /** When attune first stored anything here (epoch ms). */
  created: number
}

/** The on-device profile: what `attune.profile` reads, and where tracked events are folded. */
export interface ProfileStore {
  /** Open storage and load the profile (idempotent). Call only with `personalization` consent. */
  start(): Promise<void>
  /** Resolves once a started load has finished (at once when not started). */
  loaded(): Promise<void>
  /** Fold an event into this device's entry (written in the next coalesced transaction). */
  record(event: ProfileEvent): void
  /** Change this device's entry by `fn` (written in the next coalesced transaction). */
  change(fn: (entry: DeviceEntry) => DeviceEntry): void
  /** Record a stated preference; `undefined` removes it. */
  setInterest(key: string, value: JsonValue | undefined): void
  /** The derived view at `now`. */
  view(now: number): ProfileView
  /** Everything stored, for export. */
  stored(): { device: DeviceRecord | undefined; profile: Profile }
  /** This device's own entry, once loaded: what `attune/sync` sends. */
  own(): { device: string; entry: DeviceEntry } | undefined
  /** Replace the stored profile by `fn(stored)` in one transaction (merging in other devices' entries). */
  rewrite(fn: (stored: Profile) => Profile): Promise<void>
  /** Start over as a new device: a new device id, an empty profile (`reset()`, a new visitor). */
  renew(): Promise<void>
  /** Called after this device's entry was written; one listener, returns `off`. */
  onWrite(fn: () => void): () => void
  /** Delete the database, forget everything, and tell the other tabs. */
  wipe(): Promise<void>
  /** Stop listening to other tabs and close the database. Nothing is deleted. */
  stop(): void
}

/** Options of {@link createProfileStore}. */
export interface ProfileStoreOptions {
  site: string
  /** Where to keep the profile; none keeps it in memory for this page only. */
  kv: KeyValue | undefined
  now(): number
  uuid(): string
  config?: Partial<ProfileConfig>
  report: Report
  /** Another tab deleted everything: this tab must go dormant too. */
  onWiped(): void
}

/** Apply changes in order, folding runs of events in one pass. */
const applyChanges = (entry: DeviceEntry, changes: readonly Change[], config?: Partial<ProfileConfig>): DeviceEntry => {
  let run: ProfileEvent[] = []
  for (const change of changes) {
    if (typeof change !== 'function') {
      run.push(change)
      continue
    }
    entry = change(foldAll(entry, run, config))
    run = []
  }
  return foldAll(entry, run, config)
}

const withEntry = (profile: Profile, device: string, entry: DeviceEntry): Profile => ({
  ...profile,
  devices: { ...profile.devices, [device]: entry },
})

/**
 * Creates the profile store. Writes are coalesced: any number of events tracked in one task
 * become one readwrite transaction that reads the stored profile, folds them into this device's
 * entry and puts it back, with no `await` in between (idb-keyval `update`), so two tabs folding
 * into the same entry never lose each other's increments. Reads are served from memory and kept
 * current across tabs with a `BroadcastChannel`.
 *
 * Any storage failure — no `indexedDB`, `open` refused (Firefox private windows), a connection
 * that will not reopen, `QuotaExceededError` — switches the store to memory for the rest of the
 * page, keeping everything it held; it is reported once.
 */
export const createProfileStore = (options: ProfileStoreOptions): ProfileStore => {
  const { report, config } = options
  let kv = options.kv
  let stored: Profile = emptyProfile()
  let device: DeviceRecord | undefined
  let pending: Change[] = []
  let starting: Promise<void> | undefined
  /** Changes taken by transactions still running, oldest first: no longer pending, not yet stored. */
  let writing: Change[] = []
  /** A transaction was asked for and has not read the profile yet: what is pending goes in it. */
  let asked = false
  let channel: BroadcastChannel | undefined
  let stopped = false
  /** Bumped by every wipe, so a write or read still in flight cannot bring old data back. */
  let generation = 0
  let written: (() => void) | undefined

  /** A stored value that will not migrate is discarded, reported, and replaced by an empty profile. */
  const readable = (raw: unknown): Profile => {
    if (raw === undefined) return emptyProfile()
    const result = readStored(raw)
    if (typeof result !== 'string') return result
    report('storage', `Discarded an unreadable stored profile (${result}).`)
    return emptyProfile()
  }

  /** Leave storage for memory, once: what the store holds stays, nothing more is written. */
  const degrade = (error: unknown): void => {
    if (!kv) return
    kv.close()
    kv = undefined
    report('storage', 'IndexedDB failed; the profile stays in memory for this page.', error)
  }

  /** This device's entry with `changes` applied, in `profile`. */
  const applied = (profile: Profile, id: string, changes: readonly Change[]): Profile =>
    withEntry(profile, id, applyChanges(profile.devices[id] ?? emptyEntry(), changes, config))

  /**
   * The stored profile with the changes not yet written folded in: what reads should see.
   * Changes wait for one task at most, so folding them again on a read is cheap. Until the
   * device record is loaded, they show under a provisional id.
   */
  const current = (): Profile =>
    writing.length + pending.length ? applied(stored, device?.device ?? '', writing.concat(pending)) : stored

  const post = (type: 'changed' | 'wiped'): void => {
    try {
      channel?.postMessage({ type })
    } catch {
      // A closed channel: the other tabs will read the database on their next start.
    }
  }

  /**
   * Asks IndexedDB for a transaction that writes what is pending once it has read the stored
   * profile: at once, even while earlier ones run (IndexedDB runs them in order), so changes made
   * until that read go in it too. Nothing waits in memory for an earlier write to finish, where a
   * page left at that moment (a reload, a link, a closed tab) would lose it.
   */
  const flush = (): void => {
    if (stopped || asked || !device || !pending.length) return
    // In the script tag, the load writes what waited once its page chunk has brought the logic.
    if (later) return
    asked = true
    const id = device.device
    let batch: Change[] | undefined
    void save((profile) => {
      if (!batch) {
        asked = false
        writing = writing.concat((batch = pending))
        pending = []
      }
      return applied(profile, id, batch)
    }).finally(() => {
      // Transactions finish in order: this one's changes are the oldest still written.
      writing = writing.slice(batch?.length)
      written?.()
    })
  }

  /**
   * Writes `fn(stored profile)` in one readwrite transaction, or in memory once storage failed.
   * A wipe in the meantime wins: nothing from before it comes back.
   */
  const save = (fn: (profile: Profile) => Profile): Promise<void> => {
    const at = generation
    const inMemory = (): void => {
      if (at === generation) stored = fn(stored)
    }
    if (!kv) return Promise.resolve(inMemory())
    return kv.update<unknown>('profile', (raw) => fn(readable(raw))).then(
      (value) => {
        if (at !== generation) return
        stored = value as Profile
        post('changed')
      },
      (error: unknown) => {
        degrade(error)
        inMemory()
      },
    )
  }

  const rewrite = (fn: (profile: Profile) => Profile): Promise<void> => (later ? after(() => save(fn)) : save(fn))
  const newDevice = (): DeviceRecord => ({ schema: 1, device: options.uuid(), created: options.now() })

  const schedule = (change: Change): void => {
    const first = pending.length === 0
    pending.push(change)
    if (first && device) queueMicrotask(flush)
  }

  const reload = (): Promise<void> | undefined => {
    const at = generation
    const read = (raw: unknown): void => {
      if (at === generation) stored = readable(raw)
    }
    // Read at once; understood once the logic is in.
    return kv?.get<unknown>('profile').then(later ? (raw) => after(() => read(raw)) : read, degrade)
  }

  const listen = (): void => {
    if (stopped || channel || typeof BroadcastChannel === 'undefined') return
    channel = new BroadcastChannel(`attune:${options.site}`)
    channel.onmessage = (message: MessageEvent<{ type?: string }>) => {
      // A tab that has forgotten everything must not reopen (and so recreate) the database.
      if (message.data?.type === 'changed' && starting) void reload()
      if (message.data?.type === 'wiped') {
        forget()
        // Again from here: a read or write of ours may have raced the other tab's delete.
        void options.kv?.wipe().catch(() => {})
        options.onWiped()
      }
    }
  }

  /**
   * In the script tag, runs `fn` once its page chunk has brought the profile's logic (logic.ts),
   * unless a wipe came in between or the logic will not come. Elsewhere `later` is undefined, and
   * the build drops this.
   */
  const after = (fn: () => void | Promise<void>): Promise<void> => {
    const at = generation
    // Undefined, when the logic came while a read was in flight.
    return Promise.resolve(later).then((ok) => (ok !== false && at === generation ? fn() : undefined))
  }

  const forget = (): void => {
    generation++
    stored = emptyProfile()
    device = undefined
    pending = []
    writing = []
    asked = false
    starting = undefined
  }

  return {
    start: () => {
      if (starting) return starting
      const fresh = (old?: DeviceRecord): DeviceRecord => (old?.schema === 1 && typeof old.device === 'string' ? old : newDevice())
      const store = kv
      // Decisions wait for this load (the `ready` event), so it takes one round of read-only
      // transactions, side by side: the device record and the profile. Only a first visit writes
      // the record, read-modify-write, since another tab may be creating it at the same moment.
      // In the script tag, it also waits for the logic its page chunk brings, whatever storage
      // does: `ready` shows the profile folded.
      const read = later ? Promise.all([reload(), later]).then(() => undefined) : reload()
      // In this task, so no change another tab makes after the read is missed.
      if (store) listen()
      return (starting = (store ? store.get<DeviceRecord>('device').then((old) => (fresh(old) === old ? old : store.update('device', fresh))) : Promise.reject())
        .then(
          (record) => {
            device = record
          },
          (error: unknown) => {
            if (error) degrade(error)
            device = fresh()
          },
        )
        .then(() => {
          // Events tracked while loading are written as soon as the device is known (in the
          // script tag, as soon as the logic is in too), so a page left at once has them stored.
          flush()
          return read
        })
        .then(flush))
    },
    loaded: () => starting ?? Promise.resolve(),
    record: schedule,
    change: schedule,
    setInterest: (key, value) => schedule((entry) => setInterest(entry, key, value, options.now())),
    view: (now) => derive(current(), now, config),
    stored: () => ({ device, profile: current() }),
    own: () => {
      // attune/sync sends nothing folded by stand-ins (logicLater.ts).
      if (later) return undefined
      const entry = device && current().devices[device.device]
      return entry && device ? { device: device.device, entry } : undefined
    },
    rewrite,
    renew: () => {
      // A new visitor shares nothing with the last one the server knew, not even this device's id.
      const next = newDevice()
      if (device) device = next
      void kv?.update('device', () => next).catch(() => {})
      return rewrite(emptyProfile)
    },
    onWrite: (fn) => {
      written = fn
      return () => {
        if (written === fn) written = undefined
      }
    },
    wipe: () => {
      forget()
      post('wiped')
      // Whatever this page could or could not open, an earlier page may have stored data.
      return (options.kv?.wipe() ?? Promise.resolve()).catch((error: unknown) => {
        // Not worth a second report when storage already failed on this page.
        if (kv) report('storage', 'Could not delete the IndexedDB database.', error)
      })
    },
    stop: () => {
      stopped = true
      channel?.close()
      channel = undefined
      kv?.close()
    },
  }
}
