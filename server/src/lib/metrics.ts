/** Label values taken from clients are cleaned and capped so no one can grow /metrics at will. */
const MAX_SERIES_PER_COUNTER = 100

const clean = (value: string): string => value.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 40) || 'unknown'

const HELP = {
  attune_events_accepted_total: 'Events stored for the first time.',
  attune_events_duplicate_total: 'Events received again and left alone (idempotent on site and event id).',
  attune_events_rejected_total: 'Events refused one by one inside accepted requests, by reason.',
  attune_requests_rejected_total: 'Requests answered with an error, by status and reason.',
  attune_client_dropped_total: 'Events that clients reported dropping before sending, by reason.',
} as const

export type CounterName = keyof typeof HELP

/** Counters without labels print 0 before their first event, so dashboards see them at once. */
const UNLABELLED: readonly CounterName[] = ['attune_events_accepted_total', 'attune_events_duplicate_total']

const seriesKey = (labels: Record<string, string | number>): string =>
  Object.keys(labels)
    // Cleaned values need no escaping in the exposition format.
    .map((k) => `${k}="${clean(String(labels[k]))}"`)
    .join(',')

/** In-process counters rendered in the Prometheus text format. Per process: sum across instances. */
export const createMetrics = () => {
  const counters = new Map<CounterName, Map<string, number>>()
  for (const name of Object.keys(HELP) as CounterName[]) counters.set(name, new Map())

  /** Adds `by` to the counter with these labels (values are cleaned to `[a-z0-9_]`). */
  const add = (name: CounterName, by = 1, labels: Record<string, string | number> = {}): void => {
    if (!(by > 0)) return
    const series = counters.get(name) as Map<string, number>
    let key = seriesKey(labels)
    if (!series.has(key) && series.size >= MAX_SERIES_PER_COUNTER) key = Object.keys(labels).map((k) => `${k}="other"`).join(',')
    series.set(key, (series.get(key) ?? 0) + by)
  }

  /** The current value of one series (tests). */
  const get = (name: CounterName, labels: Record<string, string | number> = {}): number => counters.get(name)?.get(seriesKey(labels)) ?? 0

  const render = (): string => {
    let out = ''
    for (const [name, series] of counters) {
      out += `# HELP ${name} ${HELP[name]}\n# TYPE ${name} counter\n`
      if (series.size === 0 && UNLABELLED.includes(name)) out += `${name} 0\n`
      for (const [key, value] of series) out += `${name}${key ? `{${key}}` : ''} ${value}\n`
    }
    return out
  }

  return { add, get, render }
}

export type Metrics = ReturnType<typeof createMetrics>
