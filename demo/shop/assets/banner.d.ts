import type { CookieConsentConfig } from 'vanilla-cookieconsent'

/** The demo's consent banner configuration (banner.js), shared by the shop and its SPA. */
export declare const bannerConfig: (words: { changeMind: string; necessary: string }) => CookieConsentConfig
