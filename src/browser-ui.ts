/**
 * `dist/attune-ui.min.js`: `attune/ui` for the script tag. A site adds it beside the tag (after
 * the queue stub, so it may load first); it hands the tag a start that registers the elements
 * for the tag's instance and starts the zero-party questions, and does nothing else. Its own
 * `data-attune-preferences-url` is the `preferencesUrl` option; with `data-attune-endpoint` on
 * the tag, deleting everything says the server was asked to erase.
 */
import { extendTag } from './lib/extendTag'
import { defineAttuneElements } from './ui/defineAttuneElements'

if (typeof document != 'undefined') {
  // Read now: currentScript is only set while this file first runs.
  const preferencesUrl = (document.currentScript as HTMLScriptElement | null)?.dataset.attunePreferencesUrl
  extendTag((attune, endpoint) => defineAttuneElements(attune, { preferencesUrl, server: !!endpoint }))
}
