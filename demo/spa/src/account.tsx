// The shopper's account, as far as attune is concerned: signing in, which links this browser to
// the user so the profile follows them to their other devices (attune/sync's identify, with the
// user id signed by the shop's backend, GET /api/sign-in in scripts/demo.mjs), and "Your data":
// what attune keeps, a copy of it, and "Delete my data".
import type { Attune } from 'attune'
import { useAttune, useConsent } from 'attune/react'
import type { SyncHandle } from 'attune/sync'
import { useEffect, useState } from 'react'
import * as CookieConsent from 'vanilla-cookieconsent'
import { categories, products } from './catalog'
import { Link } from './router'

/** The demo's one user: anyone may sign in as them, with no password. */
export const DEMO_USER = 'trail-runner-42'
/** The shop's own sign-in session (not attune's): who is signed in in this tab. */
const SESSION = 'trailhead:user'

const session = {
  get: (): string | null => {
    try {
      return sessionStorage.getItem(SESSION)
    } catch {
      return null
    }
  },
  set: (user: string): void => {
    try {
      sessionStorage.setItem(SESSION, user)
    } catch {
      // Signed in for this page only.
    }
  },
}

/**
 * "Sign in as trail-runner-42" in the header. The shop's backend signs the user id; with `sync`
 * consent, identify links this browser to the user and merges the user's profile in (the hero
 * follows on the next page load). Without it, the shopper is signed in and attune sends nothing.
 */
export const SignIn = ({ sync }: { sync: SyncHandle }) => {
  const attune = useAttune()
  const [user, setUser] = useState(session.get)
  const [busy, setBusy] = useState(false)
  const [note, setNote] = useState('')
  // The note goes by itself after a while, as toasts do.
  useEffect(() => {
    if (!note) return undefined
    const timer = setTimeout(() => setNote(''), 8_000)
    return () => clearTimeout(timer)
  }, [note])

  const signIn = async (): Promise<void> => {
    setBusy(true)
    try {
      const response = await fetch(`/api/sign-in?user=${encodeURIComponent(DEMO_USER)}`)
      if (!response.ok) throw new Error(`sign-in answered ${response.status}`)
      const { userId, signature } = (await response.json()) as { userId: string; signature: string }
      session.set(userId)
      setUser(userId)
      if (!attune?.consent.get().sync) {
        setNote('Signed in. Turn on personalisation to take your profile to your other devices.')
        return
      }
      // identify never throws: what goes wrong is reported on attune's error channel.
      let failed = false
      const off = attune.on('error', () => (failed = true))
      try {
        await sync.identify(userId, { signature })
      } finally {
        off()
      }
      setNote(failed ? 'Signed in, but your profile could not be linked; it stays on this device.' : 'Signed in: your profile now follows you to your other devices.')
    } catch {
      setNote('Sorry, signing in failed. Please try again.')
    } finally {
      setBusy(false)
    }
  }

  return (
    <>
      {user ? (
        <span className="account" data-account>
          Signed in as <strong>{user}</strong>
        </span>
      ) : (
        <button type="button" className="link-button" data-sign-in disabled={busy} onClick={() => void signIn()}>
          {busy ? 'Signing in…' : `Sign in as ${DEMO_USER}`}
        </button>
      )}
      {/* Fixed at the bottom of the window, so it moves nothing. */}
      <div className="toast" role="status" hidden={!note}>
        <p data-account-note>{note}</p>
        <button type="button" className="link-button" onClick={() => setNote('')}>
          Dismiss
        </button>
      </div>
    </>
  )
}

type View = ReturnType<Attune['profile']['get']>

/** `category:running` → "Running", `brand:northpeak` → "Northpeak". */
const label = (key: string): string => {
  const [dimension, value] = [key.slice(0, key.indexOf(':')), key.slice(key.indexOf(':') + 1)]
  if (dimension === 'category') return categories.find((c) => c.name.toLowerCase() === value)?.name ?? value
  if (dimension === 'brand') return products.find((p) => p.brand.toLowerCase() === value)?.brand ?? value
  return value
}
const strength = (score: number): string => (score >= 6 ? 'strong interest' : score >= 2 ? 'some interest' : 'a little interest')

const Profile = ({ view }: { view: View }) => {
  const interests = Object.entries(view.affinities)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
  const viewed = view.viewed.slice(0, 8).map((v) => ({ id: v.id, product: products.find((p) => p.id === v.id) }))
  return (
    <>
      <h3>Your interests</h3>
      {interests.length ? (
        <ul className="plain-list">
          {interests.map(([key, score]) => (
            <li key={key}>
              <strong>{label(key)}</strong> ({key.startsWith('brand:') ? 'brand' : 'activity'}): {strength(score)}, score {score.toFixed(1)}
            </li>
          ))}
        </ul>
      ) : (
        <p>None yet. Look at a few products and they will show here.</p>
      )}
      <h3>Recently viewed</h3>
      {viewed.length ? (
        <ul className="plain-list">
          {viewed.map(({ id, product }) => (
            <li key={id}>{product ? <Link href={`/p/${product.slug}`}>{product.name}</Link> : id}</li>
          ))}
        </ul>
      ) : (
        <p>Nothing yet.</p>
      )}
    </>
  )
}

/** "Your data": what attune keeps about the shopper, a copy of it as JSON, and deleting it. */
export const YourData = () => {
  const attune = useAttune()
  const { personalization } = useConsent()
  const [view, setView] = useState<View | null>(null)
  const [status, setStatus] = useState('')
  // The profile once attune has loaded it (at once when it already has), again on every consent change.
  useEffect(() => {
    if (!attune) return undefined
    const read = (): void => setView(attune.profile.get())
    const offs = [attune.on('ready', read), attune.consent.on(read)]
    return () => offs.forEach((off) => off())
  }, [attune])

  const download = async (): Promise<void> => {
    if (!attune) return
    try {
      const data = await attune.profile.export()
      const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }))
      const link = Object.assign(document.createElement('a'), { href: url, download: 'trailhead-my-data.json' })
      document.body.append(link)
      link.click()
      link.remove()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
      setStatus('Your data was saved as trailhead-my-data.json.')
    } catch {
      setStatus('Sorry, the export failed. Please try again.')
    }
  }

  const remove = async (): Promise<void> => {
    if (!attune) return
    setStatus('Deleting…')
    try {
      // Withdraws consent: attune wipes this browser, and attune/sync asks the server to erase its copy.
      await attune.profile.delete()
      // The banner remembers "necessary only", so the next page neither asks again nor turns attune back on.
      CookieConsent.acceptCategory([])
      setView(null)
      setStatus('Deleted. Nothing about you is stored in this browser any more, our server was asked to erase its copy, and personalisation and analytics are off.')
    } catch {
      setStatus('Sorry, deleting failed. Please try again.')
    }
  }

  return (
    <>
      <h1>Your data and choices</h1>
      <p className="lede">What Trailhead Outfitters has learnt about you is kept in this browser. Here you can see it, take a copy, or delete it.</p>
      <section className="panel" aria-labelledby="known-title">
        <h2 id="known-title">What we have learnt</h2>
        <div data-profile>{personalization && view ? <Profile view={view} /> : <p>Nothing: personalisation is off, so nothing about you is stored.</p>}</div>
      </section>
      <section className="panel" aria-labelledby="control-title">
        <h2 id="control-title">Take it with you, or delete it</h2>
        <p>Export gives you everything stored about you as a JSON file. Delete removes it from this browser, asks our server to erase its copy, and turns personalisation and analytics off.</p>
        <p className="actions">
          <button type="button" className="button" data-export onClick={() => void download()}>
            Export my data
          </button>{' '}
          <button type="button" className="button button-danger" data-delete onClick={() => void remove()}>
            Delete my data
          </button>
        </p>
        <p data-control-status role="status">
          {status}
        </p>
      </section>
      <p>
        Change what attune may do at any time with <button type="button" className="link-button" onClick={() => CookieConsent.showPreferences()}>Cookie settings</button>.
      </p>
    </>
  )
}
