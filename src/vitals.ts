/**
 * `attune/vitals`: per-variant Core Web Vitals attribution. The entry point exists so the package
 * layout is final; it is not released yet and this module exports nothing.
 */
export {}
