/**
 * `dist/attune-page.min.js`: what the script tag does in the page once consent allows it —
 * automatic tracking and decisions with variant swaps. The tag loads it beside itself; it hands
 * {@link startPage} to the tag and does nothing else.
 */
import { extendTag } from './lib/extendTag'
import { startPage } from './startPage'

extendTag(startPage)
