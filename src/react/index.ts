/**
 * `attune/react`: React bindings (`<AttuneProvider>`, `useAttune`, `useDecision`, `useConsent`).
 * The entry point exists so the package layout is final; the bindings themselves are not
 * released yet and this module exports nothing.
 */
export {}
