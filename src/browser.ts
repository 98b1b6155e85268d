/**
 * The script-tag build (`dist/attune.min.js`): the one entry that acts when it loads,
 * because loading it is how a site asks for attune.
 */
import { bootScriptTag } from './script-tag'

if (typeof window !== 'undefined') bootScriptTag(window)
