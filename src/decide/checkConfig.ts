import type { Op, SiteConfig } from './model'
import { MAX_DEPTH, OPS } from './evalCondition'
import { own } from './factOf'
import { nodesProblem } from '../dom/nodes'
import { editProblem } from '../dom/swap'

/** Most values (objects, arrays, strings, numbers…) a config may hold, keys included. */
export const MAX_NODES = 20_000

/** Longest string, keys included. */
export const MAX_STRING = 1000

const ID = /^[\w-]{1,64}$/

type Obj = Record<string, unknown>

// Problems are thrown as strings; `checkConfig` prefixes where it was looking.
const need: (ok: unknown, why: string) => asserts ok = (ok, why) => {
  if (!ok) throw why
}

// The checkers below read their field themselves (own properties only), so its name is the message.

/** `o[k]` as a list, [] when absent. */
const list = (o: unknown, k: string): Obj[] => {
  const v = own(o, k) ?? []
  need(Array.isArray(v), 'bad ' + k)
  return v
}

const id = (o: unknown, k: string): string => {
  const v = own(o, k)
  need(typeof v == 'string' && ID.test(v), 'bad ' + k)
  return v
}

/** Absent, or a number from 0 to `hi` (which NaN and Infinity are not). */
const range = (v: unknown, hi = 1e15): boolean => v === undefined || (typeof v == 'number' && v >= 0 && v <= hi)

const num = (o: unknown, k: string, hi?: number): void => need(range(own(o, k), hi), 'bad ' + k)

const strings = (o: unknown, k: string): void => need(list(o, k).every((s) => typeof s == 'string'), 'bad ' + k)

const primitive = (v: unknown): boolean => v === null || typeof v != 'object'

/** Follows `evalCondition`'s dispatch, so whatever passes here evaluates without a warning. */
const condition = (c: Obj, depth: number): void => {
  need(depth <= MAX_DEPTH, 'condition too deep')
  const { all, any, not, fact, op, value: v } = c ?? {}
  if (all || any) for (const x of list(c, all ? 'all' : 'any')) condition(x, depth + 1)
  else if (not) condition(not as Obj, depth + 1)
  else {
    need(OPS[op as Op] && typeof fact == 'string', 'bad condition')
    need(op == 'in' || op == 'nin' ? Array.isArray(v) && v.every(primitive) : op == 'exists' ? v === undefined || v === !!v : primitive(v), 'bad value')
  }
}

/**
 * Limits over the whole value: size, string lengths, prototype keys, and cycles, which JSON cannot
 * have but a config built in JS can. Tracks ancestors rather than every object seen, so shared
 * objects pass. Returns the count of values so far.
 */
const walk = (v: unknown, ancestors: unknown[], n: number): number => {
  need(++n <= MAX_NODES, 'too big')
  need(typeof v != 'string' || v.length <= MAX_STRING, 'string too long')
  if (v && typeof v == 'object') {
    need(!ancestors.includes(v), 'cycle')
    for (const k of Object.keys(v)) {
      need(!/^(__proto__|constructor|prototype)$/.test(k), 'forbidden key ' + k)
      n = walk((v as Obj)[k], [...ancestors, v], walk(k, ancestors, n))
    }
  }
  return n
}

/**
 * The client's guard for a site config: the config itself when `decide` can run on it, else the
 * first problem as "where: what" (`experiment hero-test: bad traffic`). Checks types, ids
 * (`[\w-]{1,64}`), ranges, operators, condition depth, references from variants to audiences and
 * from experiments to variants, and size. Unknown fields are ignored, so that older clients accept
 * newer configs. Never throws.
 */
export const checkConfig = (raw: unknown): SiteConfig | string => {
  let at = 'config'
  try {
    need(raw && typeof raw == 'object' && !Array.isArray(raw), 'not an object')
    walk(raw, [], 0)
    const audiences = list(raw, 'audiences').map((a) => {
      at = 'audience'
      at += ' ' + id(a, 'id')
      condition(own(a, 'condition') as Obj, 1)
      return a.id
    })
    at = 'config'
    const slots = own(raw, 'variants') ?? {}
    need(!Array.isArray(slots), 'bad variants')
    for (const slot of Object.keys(slots)) {
      at = 'slot ' + slot
      need(ID.test(slot), 'bad id')
      for (const v of list(slots, slot)) {
        at = 'slot ' + slot
        id(v, 'id')
        strings(v, 'tags')
        need(v.audience === undefined || audiences.includes(v.audience), 'unknown audience')
        num(v, 'weight')
        at = `slot ${slot} variant ${v.id}`
        if (v.content !== undefined) need(!nodesProblem(v.content), 'content: ' + nodesProblem(v.content))
        for (const e of list(v, 'edits')) need(!editProblem(e), 'edit: ' + editProblem(e))
      }
    }
    for (const e of list(raw, 'experiments')) {
      at = 'experiment'
      at += ' ' + id(e, 'key')
      const variants = list(slots, id(e, 'slot'))
      const arms = list(e, 'variants')
      const weights = e.weights ? list(e, 'weights') : arms.map((arm) => variants.find((v) => v.id === arm)?.weight ?? 1)
      need(arms.every((arm, i) => variants.some((v) => v.id === arm) && arms.indexOf(arm) == i), 'unknown or repeated variant')
      // A missing weight makes the sum NaN, which is not > 0.
      const total = weights.reduce((sum: number, w) => sum + (w as unknown as number), 0)
      need(weights.length == arms.length && weights.every((w) => range(w)) && total > 0, 'bad weights')
      num(e, 'traffic', 1)
      num(e, 'holdout', 1)
      if (e.bandit) {
        const stats = own(e.bandit, 'stats') as Record<string, Obj>
        need(stats && typeof stats == 'object', 'bad bandit')
        for (const arm of Object.keys(stats)) {
          at = `experiment ${e.key} stats ${arm}`
          const s = stats[arm]
          need(arms.includes(arm as never) && typeof own(s, 'trials') == 'number' && typeof own(s, 'successes') == 'number', 'bad arm')
          num(s, 'trials')
          num(s, 'successes', s?.trials as number)
        }
      }
    }
    at = 'config'
    num(raw, 'affinityThreshold')
    need(typeof (own(raw, 'allowForce') ?? false) == 'boolean', 'bad allowForce')
    strings(raw, 'goals')
    return raw as SiteConfig
  } catch (e) {
    return `${at}: ${String(e)}`
  }
}
