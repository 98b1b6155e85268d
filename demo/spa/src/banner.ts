// The consent banner (demo/shop/assets/banner.js, shared with the plain-HTML shop), with the SPA's
// wording where the two differ.
import { bannerConfig } from '../../shop/assets/banner.js'

export const banner = bannerConfig({
  changeMind: 'You can change your mind at any time with “Cookie settings” below.',
  necessary: 'This choice.',
})
