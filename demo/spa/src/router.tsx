// Client-side routing on the History API, in a few lines: no router package needed. attune/auto
// sees each pushState and popstate and tracks one page view per URL.
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react'
import { titleOf } from './catalog'

const listeners = new Set<() => void>()

const subscribe = (fn: () => void): (() => void) => {
  listeners.add(fn)
  window.addEventListener('popstate', fn)
  return () => {
    listeners.delete(fn)
    window.removeEventListener('popstate', fn)
  }
}

/** The current path, re-rendering on every navigation. */
export const usePath = (): string => useSyncExternalStore(subscribe, () => location.pathname)

/** Goes to `to` without a page load. */
export const navigate = (to: string): void => {
  if (to === location.pathname + location.search) return
  document.title = titleOf(new URL(to, location.href).pathname)
  history.pushState(null, '', to)
  for (const fn of [...listeners]) fn()
  window.scrollTo(0, 0)
  document.getElementById('main')?.focus({ preventScroll: true })
}

/** An `<a>` that navigates in the app; modified clicks (new tab, download…) stay the browser's. */
export const Link = ({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) => (
  <a
    href={href}
    onClick={(event: MouseEvent<HTMLAnchorElement>) => {
      onClick?.(event)
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
      event.preventDefault()
      navigate(href)
    }}
    {...rest}
  />
)
