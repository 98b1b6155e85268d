/**
 * Returns a generator of UUIDv7 strings (RFC 9562 §5.7): 48 bits of Unix milliseconds, then
 * a 12-bit counter (RFC 9562 §6.2, method 1) so ids made within one millisecond still sort in
 * creation order, then 62 random bits. The clock is injected so tests and replays are stable.
 * @see https://www.rfc-editor.org/rfc/rfc9562#name-uuid-version-7
 */
/* @__NO_SIDE_EFFECTS__ */
export const createUuidv7 = (now: () => number = Date.now): (() => string) => {
  let lastMs = -1
  let counter = 0
  return () => {
    const bytes = crypto.getRandomValues(new Uint8Array(16))
    let ms = Math.max(0, Math.floor(now()))
    if (ms <= lastMs) {
      // Same millisecond (or the clock stepped back): keep the last timestamp and count up.
      ms = lastMs
      if (++counter > 0xfff) {
        ms++
        counter = 0
      }
    } else {
      // Start low in the counter space so a burst of ids in one millisecond has room to count.
      counter = bytes[6]! & 0x0f
    }
    lastMs = ms
    for (let i = 5, t = ms; i >= 0; i--, t = Math.floor(t / 256)) bytes[i] = t % 256
    bytes[6] = 0x70 | (counter >> 8)
    bytes[7] = counter & 0xff
    bytes[8] = 0x80 | (bytes[8]! & 0x3f)
    let id = ''
    bytes.forEach((b, i) => (id += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + (b + 256).toString(16).slice(1)))
    return id
  }
}
