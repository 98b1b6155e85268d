/** What {@link h} appends: nodes, and strings as text nodes; `false`, `null` and `undefined` are skipped. */
export type Child = Node | string | false | null | undefined

/** Attribute values: a string sets it, `true` sets it empty, `false`/`undefined` leave it out; `on<type>` functions listen. */
export type Attrs = Record<string, string | boolean | undefined | ((event: Event) => void)>

/**
 * `createElement` with attributes, listeners and children. Strings only ever become text nodes
 * and attribute values, never markup (DESIGN.md promise 5), and no `style` is ever set, so the
 * elements work under `style-src 'self'`.
 */
export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag)
  for (const name of Object.keys(attrs)) {
    const value = attrs[name]
    if (typeof value == 'function') el.addEventListener(name.slice(2), value)
    else if (value === true) el.setAttribute(name, '')
    else if (typeof value == 'string') el.setAttribute(name, value)
  }
  for (const child of children) if (child) el.append(child)
  return el
}
