/**
 * The page markup attune reads and writes (DESIGN.md, "Page markup"), in one place. The
 * anti-flicker CSS (`attune.css`, and the snippet in the README) hides slots only while
 * `<html>` has {@link LOADING} and the slot lacks {@link SHOWN}.
 */

/** Slot elements: `<section data-attune-slot="hero">default content</section>`. */
export const SLOT = 'data-attune-slot'

/** Class on `<html>` while slots wait for their decision. */
export const LOADING = 'attune-loading'

/** How long slots wait before they show their default content, in ms from navigation start: the 1 s of `attune.css`. */
export const REVEAL_MS = 1000

/** Set on a slot once it shows its final content (a variant or its default): it never changes again. */
export const SHOWN = 'data-attune-shown'

/** Variant templates: `<template data-attune-variant="hero" data-attune-id="running" …>`. */
export const TEMPLATE = 'template[data-attune-variant]'

/** Every slot in `root`, `root` itself included. */
export const slotsIn = (root: ParentNode): Element[] => {
  const found = Array.from(root.querySelectorAll(`[${SLOT}]`))
  if ((root as Element).matches?.(`[${SLOT}]`)) found.unshift(root as Element)
  return found
}
