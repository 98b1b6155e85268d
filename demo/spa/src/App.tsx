// The app shell: attune's provider around a header (with signing in), the routed page and a footer.
import type { Attune } from 'attune'
import { AttuneProvider, useConsent } from 'attune/react'
import type { SyncHandle } from 'attune/sync'
import * as CookieConsent from 'vanilla-cookieconsent'
import { SignIn, YourData } from './account'
import { categories, shop } from './catalog'
import { CategoryPage, Home, NotFound, ProductPage } from './pages'
import { Link, usePath } from './router'

const Page = () => {
  const path = usePath()
  if (path === '/') return <Home />
  if (path === '/preferences') return <YourData />
  const category = /^\/c\/([\w-]+)$/.exec(path)?.[1]
  if (category) return <CategoryPage key={path} id={category} />
  const product = /^\/p\/([\w-]+)$/.exec(path)?.[1]
  if (product) return <ProductPage key={path} slug={product} />
  return <NotFound />
}

/** What the shopper allowed, from attune's consent state; kept current by useConsent. */
const ConsentStatus = () => {
  const { personalization } = useConsent()
  return <span data-consent-status>Personalisation is {personalization ? 'on' : 'off'}.</span>
}

export const App = ({ attune, endpoint, sync }: { attune: Attune; endpoint: string; sync: SyncHandle }) => (
  <AttuneProvider attune={attune} personalize={{ endpoint }}>
    <a className="skip-link" href="#main">
      Skip to content
    </a>
    <header className="site-header">
      <div className="wrap header-row">
        <Link className="logo" href="/">
          <span className="logo-mark" aria-hidden="true">▲</span> Trailhead <span className="logo-sub">Outfitters</span>
        </Link>
        <nav className="categories-nav" aria-label="Activities">
          <ul>
            {categories.map((c) => (
              <li key={c.id}>
                <Link href={`/c/${c.id}`}>{c.name}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <nav className="tools-nav" aria-label="Your shop">
          <ul>
            <li>
              <SignIn sync={sync} />
            </li>
            <li>
              <Link href="/preferences">Your data</Link>
            </li>
          </ul>
        </nav>
      </div>
    </header>
    <main id="main" className="wrap" tabIndex={-1}>
      <Page />
    </main>
    <footer className="site-footer">
      <div className="wrap footer-row">
        <p>{shop.name} is a demo shop for attune, here as a React single-page app: nothing is for sale and no order ships.</p>
        <p>
          <ConsentStatus />{' '}
          <button type="button" className="link-button" onClick={() => CookieConsent.showPreferences()}>
            Cookie settings
          </button>{' '}
          · <Link href="/preferences">Your data and choices</Link>
        </p>
      </div>
    </footer>
  </AttuneProvider>
)
