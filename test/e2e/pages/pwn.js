// A same-origin script: `default-src 'self'` lets it run, so only attune's sanitising keeps it out.
;(window.pwn || parent.pwn)('pwn.js')
