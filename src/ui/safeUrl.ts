/**
 * `url` when it is relative or `http(s)`, else undefined: a link the elements render must never
 * run script (`javascript:`) or leave the web (`data:`).
 */
export const safeUrl = (url: string | null | undefined): string | undefined => {
  if (!url) return undefined
  try {
    return /^https?:$/.test(new URL(url, document.baseURI).protocol) ? url : undefined
  } catch {
    return undefined
  }
}

/** Where the preference center is: the element's own `href`, the option, or the first `<attune-preferences id>` on the page. */
export const preferencesHref = (own: string | null, option: string | undefined): string | undefined => {
  const id = document.querySelector('attune-preferences[id]')?.id
  return safeUrl(own) ?? safeUrl(option) ?? (id ? `#${encodeURIComponent(id)}` : undefined)
}
