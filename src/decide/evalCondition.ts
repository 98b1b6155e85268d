import type { AllCondition, AnyCondition, Condition, FactCondition, NotCondition, Op } from './model'
import { factOf, own } from './factOf'

/** Deepest nesting a condition may have; the top level is depth 1. */
export const MAX_DEPTH = 16

type Test = (fact: unknown, value: unknown) => boolean

const ordered = (f: unknown, v: unknown): boolean => typeof f == typeof v && (typeof f == 'number' || typeof f == 'string')

const isIn = (f: unknown, v: unknown): boolean => {
  if (Array.isArray(v)) for (const x of v) if (Array.isArray(f) ? f.includes(x) : x === f) return true
  return false
}

// Casts below: `ordered` has checked that both sides are numbers or both are strings.
/**
 * Each operator's test of a fact against a value; wrong types make a test false, never throw.
 * Without a prototype, so that `OPS[op]` finds no `toString` or `constructor`.
 */
export const OPS: Readonly<Record<Op, Test>> = /* @__PURE__ */ Object.setPrototypeOf({
  eq: (f, v) => f === v,
  ne: (f, v) => f !== v,
  gt: (f, v) => ordered(f, v) && (f as number) > (v as number),
  gte: (f, v) => ordered(f, v) && (f as number) >= (v as number),
  lt: (f, v) => ordered(f, v) && (f as number) < (v as number),
  lte: (f, v) => ordered(f, v) && (f as number) <= (v as number),
  in: isIn,
  nin: (f, v) => Array.isArray(v) && !isIn(f, v),
  contains: (f, v) => {
    if (typeof f == 'string') return typeof v == 'string' && f.includes(v)
    if (Array.isArray(f)) for (const x of f) if (x === v || own(x, 'id') === v) return true
    return false
  },
  exists: (f, v) => (f !== undefined) === (v !== false),
} satisfies Record<Op, Test>, null)

/** Throws on a broken node, caught only at the top: no `not` can turn a broken condition into a true one. */
const run = (c: Condition, facts: unknown, depth: number): boolean => {
  if (depth > MAX_DEPTH) throw 'condition too deep'
  const node = c as Partial<AllCondition & AnyCondition & NotCondition & FactCondition>
  if (node.all) {
    for (const x of node.all) if (!run(x, facts, depth + 1)) return false
    return true
  }
  if (node.any) {
    for (const x of node.any) if (run(x, facts, depth + 1)) return true
    return false
  }
  if (node.not) return !run(node.not, facts, depth + 1)
  const test = OPS[node.op as Op] as Test | undefined
  if (!test || typeof node.fact != 'string') throw 'unknown operator ' + String(node.op)
  return test(factOf(facts, node.fact), node.value)
}

/**
 * Whether `condition` holds for `facts`. Never throws: an unknown operator, a malformed node or
 * nesting beyond {@link MAX_DEPTH} make the whole condition false (when evaluation reaches it,
 * as `all` and `any` stop early) and are reported to `warn`.
 */
export const evalCondition = (condition: Condition, facts: unknown, warn?: (message: string) => void): boolean => {
  try {
    return run(condition, facts, 1)
  } catch (e) {
    warn?.(String(e))
    return false
  }
}
