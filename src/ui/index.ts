/**
 * `attune/ui`: the `<attune-preferences>` and `<attune-why>` custom elements. The entry point
 * exists so the package layout is final; they are not released yet and this module exports nothing.
 */
export {}
