import { campaignFrom } from './utm'

/** The page-side facts audience conditions read (`page.*`, `utm.*`, `device.*`, `time.*`). */
export interface PageFacts {
  page: { path: string; url: string; title: string; query: string }
  utm: object
  device: { mobile: boolean; width: number; language: string }
  time: { hour: number; weekday: number }
}

/**
 * Reads the facts of the page now, at local time `now`: `page.path`, `page.query`, the campaign
 * (`utm.utm_source`, `utm.referrer_host`…), `device.mobile` (a coarse pointer), `device.width`,
 * `device.language`, `time.hour` (0–23) and `time.weekday` (0 = Sunday).
 */
export const pageFacts = (win: Window, now: number): PageFacts => {
  const { location, document, navigator } = win
  const date = new Date(now)
  return {
    page: { path: location.pathname, url: location.href, title: document.title, query: location.search },
    utm: campaignFrom(location.href, document.referrer),
    device: { mobile: !!win.matchMedia?.('(pointer: coarse)').matches, width: win.innerWidth, language: navigator.language },
    time: { hour: date.getHours(), weekday: date.getDay() },
  }
}
