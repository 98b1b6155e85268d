// The module of ui.html: an external file, since the page's CSP allows no inline script.
import { createAttune } from '/esm/index.js'
import { personalize } from '/esm/personalize.js'
import { defineAttuneElements } from '/esm/ui/index.js'

window.__cspViolations = []
document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.effectiveDirective}: ${e.blockedURI} ${e.sample}`))
window.__errors = []
const a = createAttune({ site: 'shop-1' })
a.on('error', (error) => window.__errors.push(`${error.code}: ${error.message}`))
const p = personalize(a)
defineAttuneElements(a, { personalizer: p, preferencesUrl: '#preferences' })
p.apply()
window.__a = a
