/**
 * Runs `fn` once, after the browser has shown the page's first paint, or after 300 ms where no
 * paint is reported: a tab opened in the background paints nothing until it is shown, and some
 * browsers have no paint timing.
 */
export const afterPaint = (fn: () => void): void => {
  let run: (() => void) | undefined = fn
  let observer: PerformanceObserver | undefined
  const once = (): void => {
    observer?.disconnect()
    run?.()
    run = undefined
  }
  try {
    // Reported once the frame is on screen; a timer from there runs after the page's own work.
    observer = new PerformanceObserver(() => setTimeout(once))
    observer.observe({ type: 'paint', buffered: true })
  } catch {
    // No paint timing: the timer below.
  }
  setTimeout(once, 300)
}
