/** The files the script tag may load: its own chunks, by name, from beside itself. */
const OWN_FILE = /^attune-[a-z-]+\.min\.js$/

type Policy = { createScriptURL(url: string): unknown }
let policy: Policy | undefined

/**
 * Loads `file` (an attune chunk) from beside the tag at `tagSrc`, so a CSP that allows the tag
 * allows it. Where the page enforces Trusted Types (`require-trusted-types-for 'script'`), the
 * URL goes through a policy named `attune` that only lets attune's own files, beside the tag,
 * through; a site that also lists allowed policies (`trusted-types`) adds `attune` to the list.
 * `done` hears whether the file loaded and ran, or did not load (blocked, offline, missing, or
 * refused by the page's Trusted Types policy names). Never throws.
 */
export const loadBeside = (tagSrc: string, file: string, done?: (loaded: boolean) => void): void => {
  try {
    const url = new URL(file, tagSrc)
    if (!OWN_FILE.test(file)) throw file
    const tt = (globalThis as { trustedTypes?: { createPolicy(name: string, rules: Policy): Policy } }).trustedTypes
    policy ??= tt?.createPolicy('attune', { createScriptURL: (u) => u })
    const script = document.createElement('script')
    script.src = (policy?.createScriptURL(url.href) ?? url.href) as string
    if (done) {
      script.onload = () => done(true)
      script.onerror = () => done(false)
    }
    document.head.append(script)
  } catch {
    done?.(false)
  }
}
