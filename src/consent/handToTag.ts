import type { ConsentAdapter } from '../consent'
import { extendTag } from '../lib/extendTag'

/**
 * What a script-tag adapter file (`dist/attune-consent-<name>.min.js`) does when it loads: it
 * hands its adapter to the tag, which starts it with the options of `data-attune-consent-options`
 * and stops it on `destroy`.
 */
export const handToTag = (adapter: ConsentAdapter<never>): void => extendTag((attune, _endpoint, options) => adapter(attune, options as never))
