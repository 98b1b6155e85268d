// The React single-page shop, wired as an npm user of attune would: one instance, created on the
// client, with automatic tracking (a page view per route), server sync, and the site's own consent
// banner deciding what attune may do. Nothing is stored or sent before the shopper answers.
import 'attune/attune.css'
import 'vanilla-cookieconsent/dist/cookieconsent.css'
import '../../shop/assets/shop.css'
import { createAttune } from 'attune'
import { autoTrack } from 'attune/auto'
import { cookieconsent } from 'attune/consent/cookieconsent'
import { sync } from 'attune/sync'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import * as CookieConsent from 'vanilla-cookieconsent'
import { App } from './App'
import { banner } from './banner'
import { titleOf } from './catalog'

const endpoint = document.querySelector<HTMLMetaElement>('meta[name="attune-endpoint"]')?.content ?? ''

const attune = createAttune({ site: 'demo-shop' })
// The handle signing in identifies with (account.tsx).
const connection = sync(attune, { endpoint })
// Back and forward: the title first, so the page view attune/auto tracks on popstate carries it.
window.addEventListener('popstate', () => (document.title = titleOf(location.pathname)))
document.title = titleOf(location.pathname)
autoTrack(attune)
// The banner's ES module sets no window.CookieConsent (its UMD build does): the adapter is given it.
cookieconsent(attune, { api: CookieConsent })
void CookieConsent.run(banner)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App attune={attune} endpoint={endpoint} sync={connection} />
  </StrictMode>,
)
