/** One constructed sheet per stylesheet text, shared by every element of the page. */
const sheets = new Map<string, CSSStyleSheet>()

/**
 * Styles a shadow root with a constructable stylesheet (`new CSSStyleSheet()` +
 * `adoptedStyleSheets`): no `<style>` element and no `style` attribute, so a strict CSP
 * (`style-src 'self'`) lets it through. Where the browser lacks constructable stylesheets
 * (Safari < 16.4, jsdom) the element works unstyled.
 */
export const adoptStyles = (root: ShadowRoot, css: string): void => {
  try {
    let sheet = sheets.get(css)
    if (!sheet) {
      sheet = new CSSStyleSheet()
      sheet.replaceSync(css)
      sheets.set(css, sheet)
    }
    if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet]
  } catch {
    // No constructable stylesheets: unstyled, still usable.
  }
}
