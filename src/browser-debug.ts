/**
 * `dist/attune-debug.min.js`: `attune/debug` for the script tag. The tag loads it from beside
 * itself when the page's URL fragment holds `#attune-preview=<token>` (and a site may add it
 * through its tag manager); it hands the tag a start that takes the token from the fragment and
 * the server from the tag's `data-attune-endpoint`, and shows the overlay only once that server
 * accepts the token. Nothing else in the URL is read: no host, path or code comes from it.
 */
import { debug, previewTokenIn } from './debug/debug'
import { extendTag } from './lib/extendTag'

if (typeof document != 'undefined') {
  // The file has run: its <script> element goes, so a refused token leaves the page as it was.
  document.currentScript?.remove()
}
extendTag((attune, endpoint) => {
  const token = previewTokenIn(location.hash)
  return token ? debug(attune, { token, endpoint }) : () => {}
})
