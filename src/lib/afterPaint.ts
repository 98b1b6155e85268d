/**
 * Runs `fn` once, after the browser has shown the page's first paint, or after 300 ms where no
 * paint is reported: a tab opened in the background paints nothing until it is shown, and some
 * browsers have no paint timing.
 */
export const afterPaint = (fn: () => void): void => {
  let run: (() => void) | undefined = fn
  const once = (): void => {
    run?.()
    run = undefined
  }
  try {
    // Reported once the frame is on screen; a timer from there runs after the page's own work.
    new PerformanceObserver(() => setTimeout(once)).observe({ type: 'paint', buffered: true })
  } catch {
    // No paint timing: the timer below.
  }
  setTimeout(once, 300)
}
