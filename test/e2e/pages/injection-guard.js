// The injection test page's first script (classic, so it runs before any slot or template is
// parsed). It sets the traps the payloads aim at and records what the page's CSP blocks.

/** Every CSP violation the page sees; attune must cause none. */
window.__violations = []
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample, at: `${e.sourceFile}:${e.lineNumber}` })
})

/** The canary every payload tries to call (directly, or as `parent.pwn()` from a frame). */
window.pwn = (from) => {
  ;(window.__pwnedBy = window.__pwnedBy || []).push(String(from))
  window.__pwned = true
}
