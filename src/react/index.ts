/**
 * `attune/react`: React bindings. `<AttuneProvider attune={…}>` shares an instance (created by the
 * app, once, on the client) and its decisions; `useAttune()`, `useConsent()` and
 * `useDecision(slot)` read them. Server rendering and hydration render default content and
 * touch no `window`; on the client a slot stays hidden (the anti-flicker CSS) until it shows its
 * final content, and once shown it never changes while mounted — no flash of default content.
 */
import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactElement, type ReactNode } from 'react'
import type { Attune } from '../createAttune'
import type { ConsentState } from '../consent'
import type { Explanation } from '../decide/model'
import { SHOWN, SLOT } from '../dom/markup'
import { personalize, type PersonalizeOptions, type Personalizer } from '../personalize'

interface Shared {
  attune: Attune | null
  personalizer: Personalizer | null
}

const Context = createContext<Shared>({ attune: null, personalizer: null })

const DENIED: ConsentState = { personalization: false, measurement: false, sync: false }
const noop = (): void => {}
const subscribeNever = (): (() => void) => noop

/** Props of {@link AttuneProvider}. */
export interface AttuneProviderProps {
  /** The instance, from `createAttune` on the client; `null` on the server or before it exists. */
  attune: Attune | null
  /** Options of `personalize` (config or endpoint, reveal timeout). */
  personalize?: PersonalizeOptions
  children?: ReactNode
}

/**
 * Shares `attune` with the tree and runs its decisions (`attune/personalize`) while mounted.
 * The instance is the app's: the provider never creates or destroys it.
 */
export const AttuneProvider = ({ attune, personalize: options, children }: AttuneProviderProps): ReactElement => {
  const [personalizer, setPersonalizer] = useState<Personalizer | null>(null)
  const optionsRef = useRef(options)
  useEffect(() => {
    if (!attune) return undefined
    const p = personalize(attune, optionsRef.current)
    p.hold()
    setPersonalizer(p)
    return () => {
      p.stop()
      setPersonalizer(null)
    }
  }, [attune])
  // One value per instance and personalizer, so consumers re-render only when one of them changes.
  const value = useMemo(() => ({ attune, personalizer }), [attune, personalizer])
  return createElement(Context.Provider, { value }, children)
}

/** The instance of the nearest provider; `null` on the server and during hydration, like the HTML it renders. */
export const useAttune = (): Attune | null => {
  const { attune } = useContext(Context)
  return useSyncExternalStore(subscribeNever, () => attune, () => null)
}


/** The consent state, kept current; everything denied on the server and during hydration. */
export const useConsent = (): ConsentState => {
  const { attune } = useContext(Context)
  // A stable snapshot per state, as useSyncExternalStore needs.
  const last = useRef(DENIED)
  const read = (): ConsentState => {
    const now = attune?.consent.get() ?? DENIED
    if (Object.keys(now).some((k) => now[k as keyof ConsentState] !== last.current[k as keyof ConsentState])) last.current = now
    return last.current
  }
  // Stable while the instance is, so React subscribes once rather than on every render.
  const subscribe = useCallback((fn: () => void) => attune?.consent.on(fn) ?? noop, [attune])
  return useSyncExternalStore(subscribe, read, () => DENIED)
}

/** What {@link useDecision} returns. */
export interface SlotDecision {
  /** The variant to render; undefined renders the default content. */
  variant: string | undefined
  /** The decision and its sentence, once made. */
  decision: Explanation | undefined
  /**
   * Spread on the slot's outer element: the anti-flicker CSS hides it until it shows its final
   * content, and its `ref` reports the slot's exposure once half of it is in view.
   */
  slotProps: { [SLOT]: string; [SHOWN]?: ''; ref: (el: Element | null) => void }
}

/**
 * The variant of `slot` for this shopper. On the server and during hydration: the default
 * content, hidden on the client by the anti-flicker CSS; then, in the same render that reveals
 * it, the final content. A slot that showed its default content keeps it while mounted.
 */
export const useDecision = (slot: string): SlotDecision => {
  const { personalizer: p } = useContext(Context)
  const version = useSyncExternalStore(p?.subscribe ?? subscribeNever, () => (p ? p.version() : -1), () => -1)
  const kept = useRef<Explanation | undefined>(undefined)
  const fresh = p && version >= 0 && p.status() != 'waiting' ? p.decide(slot) : undefined
  // The first decision is final for this mounted slot, but withdrawn consent takes a variant away.
  if (fresh && (!kept.current || (fresh.reason.kind == 'default' && fresh.reason.why == 'no-consent'))) kept.current = fresh
  const decision = kept.current
  // Exposure as for the slots attune swaps: a decision shown, not a default for want of consent or of time.
  const unexpose = useRef(noop)
  const ref = useCallback(
    (el: Element | null) => {
      unexpose.current()
      unexpose.current = noop
      const why = decision?.reason.kind == 'default' ? decision.reason.why : undefined
      if (el && p && decision && why != 'no-consent' && why != 'not-ready') unexpose.current = p.expose(el, decision)
    },
    [p, decision],
  )
  return {
    variant: decision?.variant,
    decision,
    slotProps: decision ? { [SLOT]: slot, [SHOWN]: '', ref } : { [SLOT]: slot, ref },
  }
}
