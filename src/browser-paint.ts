/**
 * `dist/attune-paint.min.js`: the paint snippet, which a site puts inline in `<head>` right after
 * the attune `<script>` (dom/paintEarly.ts). Like the tag, it acts when it runs.
 */
import { paintEarly } from './dom/paintEarly'

if (typeof window !== 'undefined') paintEarly(window)
