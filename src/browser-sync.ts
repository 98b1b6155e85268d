/**
 * `dist/attune-sync.min.js`: server sync for the script tag, loaded by the tag itself once
 * consent allows it (sync/loadChunk.ts). It hands `connect` to the tag and does nothing else.
 */
import { connect } from './sync/connect'

if (typeof window !== 'undefined') (window as { attune?: (...args: unknown[]) => unknown }).attune?.('connect', connect)
