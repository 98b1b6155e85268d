// The shop's consent banner (banner.js), run by the vanilla-cookieconsent script loaded before this
// module. attune follows it through the script tag's data-attune-consent="cookieconsent".
import { bannerConfig } from './banner.js'

window.CookieConsent?.run(
  bannerConfig({
    changeMind: 'You can change your mind or delete everything at any time on the “Your data” page.',
    necessary: 'Your cart and this choice.',
  }),
)
