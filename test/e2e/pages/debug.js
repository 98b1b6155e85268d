/* global attune */
// The debug e2e page's one script of its own (its CSP refuses inline scripts): the documented
// queue stub, and what the test reads back — readiness, attune's errors, CSP violations.
window.__errors = []
window.__cspViolations = []
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.effectiveDirective + ': ' + e.blockedURI)
})
window.attune=window.attune||function(){(attune.q=attune.q||[]).push(arguments)}
attune('ready', function () { window.__attuneReady = true })
attune('on', 'error', function (e) { window.__errors.push(e.code + ': ' + e.message) })
