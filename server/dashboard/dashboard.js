// @ts-check
/**
 * The insights dashboard (`GET /dashboard`): signs in with a site id and the admin key, then reads
 * the `/v1/admin/sites/:site/…` insights routes and shows each as tables and uPlot charts.
 *
 * The key lives in `sessionStorage` only (gone when the tab closes, never in the URL or
 * localStorage) and rides on every call as `Authorization: Bearer …`. Everything is built with
 * `createElement`/`textContent` under a CSP without inline script or style; uPlot styles its own
 * elements through the CSSOM, which that policy allows.
 */
// @ts-expect-error: served by the server from uplot/dist (its types: uplot/dist/uPlot.d.ts)
import uPlot from '/dashboard/uPlot.esm.js'

/**
 * What the insights routes answer (server/README.md, "Insights routes"). Every field is checked
 * before use anyway: a number that is not finite shows as "—", never as NaN.
 * @typedef {{ relative: number; low: number; high: number }} Uplift
 * @typedef {{ variant: string; exposures: number; conversions: number; rate: number; uplift: Uplift | null; chanceToBeatControl: number | null }} GoalVariant
 * @typedef {{ chiSquare: number; df: number; pValue: number; flagged: boolean }} Srm
 * @typedef {{ key: string; slot: string | null; control: string | null; configured: boolean; bandit: boolean;
 *   variants: Array<{ variant: string; exposures: number }>; srm: Srm | null;
 *   goals: Array<{ goal: string; variants: GoalVariant[] }>; enoughData: boolean }} ExperimentResult
 * @typedef {{ group: string; visitors: number[]; dropOff: number[] }} FunnelGroup
 * @typedef {{ hour: number; value: number }} HourPoint
 * @typedef {HourPoint & { expected: number; score: number; severity: string; direction: string; metric: string; goal: string | null }} FoundAnomaly
 */

const KEY = 'attune-dashboard:key'
const SITE = 'attune-dashboard:site'
const HOUR = 3600_000
/** The window of the anomaly list and the hourly chart. */
const WINDOW_MS = 14 * 24 * HOUR
/** What the funnel shows: the contract's default journey. */
const STEPS = ['product_viewed', 'product_added', 'checkout_started', 'order_completed']
/** Series colours, distinguishable for common colour blindness (Okabe–Ito); meaning is always also in text. */
const COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000']
const ANOMALY = '#c00000'
const NOT_ENOUGH = 'Not enough data yet'

/** An answer of 401: the key was refused, the whole dashboard goes back to the form. */
class Refused extends Error {}

/** Any other failed call: its message is shown in the section that made it. */
class Failed extends Error {}

/**
 * @template {keyof HTMLElementTagNameMap} T
 * @param {T} tag
 * @param {Record<string, string | boolean | undefined>} [attributes]
 * @param {Array<Node | string | null | undefined | false>} children
 * @returns {HTMLElementTagNameMap[T]}
 */
const h = (tag, attributes = {}, ...children) => {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === true) node.setAttribute(name, '')
    else if (typeof value === 'string') node.setAttribute(name, value)
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child)
  return node
}

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id))
/** @param {string} id */
const inputById = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id))

/** @param {unknown} x @returns {x is number} */
const finite = (x) => typeof x === 'number' && Number.isFinite(x)

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 })
/** @param {unknown} x */
const count = (x) => (finite(x) ? integer.format(x) : '—')
/** @param {unknown} x @param {number} [digits] */
const percent = (x, digits = 1) => (finite(x) ? `${(x * 100).toFixed(digits)} %` : '—')
/** @param {unknown} x @param {number} [digits] */
const signedPercent = (x, digits = 1) => (finite(x) ? `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x * 100).toFixed(digits)} %` : '—')
/** A probability in whole percent; never a flat 0 % or 100 %, which a posterior cannot be. @param {unknown} x */
const chance = (x) => (!finite(x) ? '—' : x >= 0.995 ? '> 99 %' : x <= 0.005 ? '< 1 %' : percent(x, 0))
/** @param {number} ms */
const utc = (ms) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`

let uid = 0
/** @param {string} prefix */
const newId = (prefix) => `${prefix}-${++uid}`

/** @param {string} text */
const empty = (text) => h('p', { class: 'empty' }, h('strong', {}, `${NOT_ENOUGH}.`), ` ${text}`)

/** @param {string} what @param {unknown} error */
const failure = (what, error) =>
  h('p', { class: 'error' }, h('strong', {}, `Could not load ${what}.`), ` ${error instanceof Error ? error.message : String(error)}`)

// --- Calls ------------------------------------------------------------------------------------

/** @type {{ site: string; key: string } | null} */
let session = null

/**
 * `GET /v1/admin/sites/:site<path>` with the key. Throws `Refused` on 401, `Failed` with the
 * server's reason otherwise.
 * @param {string} path
 * @returns {Promise<any>}
 */
const api = async (path) => {
  if (!session) throw new Refused()
  let response
  try {
    response = await fetch(`/v1/admin/sites/${encodeURIComponent(session.site)}${path}`, {
      headers: { Authorization: `Bearer ${session.key}` },
      cache: 'no-store',
      credentials: 'omit',
    })
  } catch {
    throw new Failed('The server could not be reached.')
  }
  if (response.status === 401) throw new Refused()
  /** @type {any} */
  let body = null
  try {
    body = await response.json()
  } catch {
    // Not JSON: the status alone says it.
  }
  if (!response.ok) {
    const reason = body && typeof body === 'object' ? [body.reason ?? body.error, body.message].filter(Boolean).join(': ') : ''
    throw new Failed(`The server answered ${response.status}${reason ? ` (${reason})` : ''}.`)
  }
  return body
}

// --- Charts -----------------------------------------------------------------------------------

/** @type {Map<string, Array<{ destroy(): void }>>} section id → what to undo before it is drawn again */
const undo = new Map()

/** @param {string} section */
const clearSection = (section) => {
  for (const stop of undo.get(section) ?? []) stop.destroy()
  undo.set(section, [])
}

/**
 * A uPlot chart in a `<figure>`, described by `describedBy` (the table with the same numbers) and
 * named by `label`; kept as wide as its container.
 * @param {string} section
 * @param {HTMLElement} container where the figure goes
 * @param {{ label: string; caption: string; describedBy: string; options: any; data: any[] }} chart
 */
const drawChart = (section, container, { label, caption, describedBy, options, data }) => {
  const target = h('div', { class: 'chart', role: 'img', 'aria-label': label, 'aria-describedby': describedBy })
  const figure = h('figure', {}, target, h('figcaption', {}, caption))
  container.append(figure)
  const width = () => Math.max(280, Math.min(900, container.clientWidth || 600))
  const plot = new uPlot({ width: width(), height: 260, legend: { live: false }, cursor: { show: false }, ...options }, data, target)
  const resize = new ResizeObserver(() => {
    if (plot.width !== width()) plot.setSize({ width: width(), height: 260 })
  })
  resize.observe(container)
  undo.get(section)?.push({ destroy: () => (resize.disconnect(), plot.destroy()) })
  return plot
}

/**
 * Axes for a categorical x (0, 1, 2… named by `names`).
 * @param {string[]} names
 * @param {any} y
 */
const categoryAxes = (names, y) => [
  {
    splits: () => names.map((_, i) => i),
    values: (/** @type {unknown} */ _u, /** @type {number[]} */ splits) => splits.map((i) => names[i] ?? ''),
    grid: { show: false },
  },
  y,
]

/**
 * A uPlot path builder drawing a vertical whisker from `lows[i]` to `highs[i]` at each x.
 * @param {Array<number | null>} lows
 * @param {Array<number | null>} highs
 */
const whiskers = (lows, highs) => (/** @type {any} */ u, /** @type {number} */ _series, /** @type {number} */ i0, /** @type {number} */ i1) => {
  const path = new Path2D()
  const cap = 6 * uPlot.pxRatio
  for (let i = i0; i <= i1; i++) {
    const low = lows[i]
    const high = highs[i]
    if (!finite(low) || !finite(high)) continue
    const x = u.valToPos(u.data[0][i], 'x', true)
    const y0 = u.valToPos(low, 'y', true)
    const y1 = u.valToPos(high, 'y', true)
    path.moveTo(x, y0)
    path.lineTo(x, y1)
    path.moveTo(x - cap, y0)
    path.lineTo(x + cap, y0)
    path.moveTo(x - cap, y1)
    path.lineTo(x + cap, y1)
  }
  return { stroke: path, fill: null, clip: null, band: null, gaps: null, flags: 0 }
}

/** A horizontal rule at y = 0 (no difference from control). @param {any} u */
const zeroLine = (u) => {
  const y = Math.round(u.valToPos(0, 'y', true))
  const ctx = u.ctx
  ctx.save()
  ctx.strokeStyle = '#555'
  ctx.setLineDash([4 * uPlot.pxRatio, 4 * uPlot.pxRatio])
  ctx.beginPath()
  ctx.moveTo(u.bbox.left, y)
  ctx.lineTo(u.bbox.left + u.bbox.width, y)
  ctx.stroke()
  ctx.restore()
}

/** A table with `<th scope>` headers. @param {string} id @param {string} caption @param {string[]} columns @param {Array<[string, ...Array<string | Node>]>} rows */
const table = (id, caption, columns, rows) =>
  h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...rows.map(([head, ...cells]) => h('tr', {}, h('th', { scope: 'row' }, head), ...cells.map((c) => h('td', {}, c))))),
    ),
  )

// --- Sections ---------------------------------------------------------------------------------

/** @param {string} id */
const bodyOf = (id) => /** @type {HTMLElement} */ (byId(id).querySelector('.body'))

/** @type {Map<string, number>} section id → how many renders it has started */
const generations = new Map()

/**
 * Runs `render` for one section: its old charts go, a failure becomes a short message there (a
 * refused key signs out), and `aria-busy` is true meanwhile.
 * @param {string} id
 * @param {string} what
 * @param {(body: HTMLElement) => Promise<void>} render
 */
const section = async (id, what, render) => {
  const body = bodyOf(id)
  // A newer render of the section (the `by` selector changed again) makes this one moot.
  const generation = (generations.get(id) ?? 0) + 1
  generations.set(id, generation)
  const current = () => generations.get(id) === generation
  body.setAttribute('aria-busy', 'true')
  try {
    const fresh = h('div')
    clearSection(id)
    body.replaceChildren(fresh)
    await render(fresh)
  } catch (error) {
    if (error instanceof Refused) throw error
    if (!current()) return
    clearSection(id)
    body.replaceChildren(failure(what, error))
  } finally {
    if (current()) body.setAttribute('aria-busy', 'false')
  }
}

/** @type {ExperimentResult[]} the experiments last loaded (for the funnel's variant grouping) */
let experiments = []

/** @param {HTMLElement} body */
const renderExperiments = async (body) => {
  pendingCharts = []
  const answer = await api('/experiments')
  experiments = Array.isArray(answer?.experiments) ? answer.experiments : []
  fillExperimentPicker()
  if (!experiments.length) {
    body.append(empty('This site has no experiment in its config and no exposure recorded.'))
    return
  }
  for (const experiment of experiments) body.append(experimentView(experiment))
}

/** @param {ExperimentResult} x */
const experimentView = (x) => {
  const titleId = newId('experiment')
  const view = h('section', { class: 'experiment', 'aria-labelledby': titleId })
  const facts = [`slot ${x.slot ?? 'unknown'}`, `control ${x.control ?? 'unknown'}`]
  if (x.bandit) facts.push('bandit (Thompson sampling)')
  if (!x.configured) facts.push('no longer in the config')
  view.append(h('h3', { id: titleId }, `Experiment ${x.key}`), h('p', { class: 'meta' }, facts.join(' · ')))

  if (x.srm?.flagged) {
    view.append(
      h(
        'p',
        { class: 'warning' },
        h('strong', {}, 'Warning: sample ratio mismatch.'),
        ` The split of visitors between variants is not the configured one (χ² = ${finite(x.srm.chiSquare) ? x.srm.chiSquare.toFixed(1) : '—'}, p = ${finite(x.srm.pValue) ? x.srm.pValue.toExponential(1) : '—'}). Check the assignment before trusting these results.`,
      ),
    )
  }

  const variants = Array.isArray(x.variants) ? x.variants : []
  const exposed = variants.reduce((sum, v) => sum + (finite(v.exposures) ? v.exposures : 0), 0)
  if (exposed === 0) {
    view.append(empty('No visitor has been exposed to this experiment.'))
    return view
  }
  const exposuresId = newId('exposures')
  view.append(
    table(
      exposuresId,
      `Visitors exposed to ${x.key}, per variant`,
      ['Variant', 'Exposed visitors'],
      variants.map((v) => [v.variant === x.control ? `${v.variant} (control)` : String(v.variant), count(v.exposures)]),
    ),
  )
  if (!x.enoughData) {
    view.append(empty('Results are shown once every variant has at least 100 exposed visitors.'))
    return view
  }
  const goals = Array.isArray(x.goals) ? x.goals : []
  if (!goals.length) view.append(empty('The site has no goals to measure conversions against.'))
  for (const goal of goals) view.append(goalView(x, goal))
  return view
}

/** @param {ExperimentResult} x @param {ExperimentResult['goals'][number]} goal */
const goalView = (x, goal) => {
  const titleId = newId('goal')
  const tableId = newId('results')
  const view = h('section', { class: 'goal', 'aria-labelledby': titleId }, h('h4', { id: titleId }, `Goal ${goal.goal}`))
  /** @type {GoalVariant[]} */
  const rows = Array.isArray(goal.variants) ? goal.variants : []
  view.append(
    table(
      tableId,
      `${x.key}: conversions to ${goal.goal} per variant`,
      ['Variant', 'Exposed visitors', 'Converted', 'Conversion rate', 'Uplift vs control (95 % interval)', 'Chance to beat control'],
      rows.map((v) => {
        const control = v.variant === x.control
        const uplift = v.uplift && finite(v.uplift.relative)
          ? `${signedPercent(v.uplift.relative)} (${signedPercent(v.uplift.low)} to ${signedPercent(v.uplift.high)})`
          : control ? 'control' : '—'
        return [
          control ? `${v.variant} (control)` : String(v.variant),
          count(v.exposures),
          count(v.conversions),
          percent(v.rate, 2),
          uplift,
          control ? 'control' : chance(v.chanceToBeatControl),
        ]
      }),
    ),
  )
  const compared = rows.filter((v) => v.uplift && finite(v.uplift.relative) && finite(v.uplift.low) && finite(v.uplift.high))
  if (!compared.length) {
    view.append(empty('No variant can be compared with control yet (it needs conversions in control).'))
    return view
  }
  const names = rows.map((v) => String(v.variant))
  const mid = rows.map((v) => (v.variant === x.control ? 0 : v.uplift && finite(v.uplift.relative) ? v.uplift.relative * 100 : null))
  const lows = rows.map((v) => (v.uplift && finite(v.uplift.low) ? v.uplift.low * 100 : null))
  const highs = rows.map((v) => (v.uplift && finite(v.uplift.high) ? v.uplift.high * 100 : null))
  const values = [0, ...mid, ...lows, ...highs].filter(finite)
  const low = Math.min(...values)
  const high = Math.max(...values)
  const pad = Math.max(1, (high - low) * 0.1)
  pendingCharts.push((section) =>
    drawChart(section, view, {
      label: `Chart: uplift of each variant of ${x.key} over control on ${goal.goal}, with its 95 % interval`,
      caption: `Uplift over control on ${goal.goal}, in %: a dot per variant (control at 0), a whisker for its 95 % interval. The table above has the same numbers.`,
      describedBy: tableId,
      data: [names.map((_, i) => i), mid],
      options: {
        scales: { x: { time: false, range: [-0.5, names.length - 0.5] }, y: { range: [low - pad, high + pad] } },
        axes: categoryAxes(names, { label: 'uplift, %', values: (/** @type {unknown} */ _u, /** @type {number[]} */ ticks) => ticks.map((t) => `${t} %`) }),
        series: [
          { label: 'variant' },
          { label: 'uplift (95 % interval)', stroke: COLOURS[0], width: 2, paths: whiskers(lows, highs), points: { show: true, size: 10, fill: COLOURS[0], stroke: COLOURS[0] } },
        ],
        hooks: { draw: [zeroLine] },
      },
    }),
  )
  return view
}

/**
 * Charts are drawn once their figure is in the document (uPlot measures it), so views queue them here.
 * @type {Array<(section: string) => void>}
 */
let pendingCharts = []
/** @param {string} section */
const drawPending = (section) => {
  for (const draw of pendingCharts.splice(0)) draw(section)
}

const fillExperimentPicker = () => {
  const select = /** @type {HTMLSelectElement} */ (byId('funnel-experiment'))
  const previous = select.value
  select.replaceChildren(...experiments.map((x) => h('option', { value: String(x.key) }, String(x.key))))
  if (experiments.some((x) => x.key === previous)) select.value = previous
}

const BY_LABEL = /** @type {Record<string, string>} */ ({ channel: 'entry channel', segment: 'new or returning visitor', variant: 'experiment variant' })

/** @param {HTMLElement} body */
const renderFunnel = async (body) => {
  const form = /** @type {HTMLFormElement} */ (byId('funnel-form'))
  const by = String(new FormData(form).get('by') ?? 'channel')
  const experiment = /** @type {HTMLSelectElement} */ (byId('funnel-experiment')).value
  byId('funnel-experiment-field').hidden = by !== 'variant'
  if (by === 'variant' && !experiment) {
    body.append(empty('There is no experiment to group by.'))
    return
  }
  const query = new URLSearchParams({ steps: STEPS.join(','), by })
  if (by === 'variant') query.set('experiment', experiment)
  const answer = await api(`/funnels?${query}`)
  /** @type {string[]} */
  const steps = Array.isArray(answer?.steps) ? answer.steps.map(String) : STEPS
  /** @type {FunnelGroup[]} */
  const groups = (Array.isArray(answer?.groups) ? answer.groups : []).filter((/** @type {FunnelGroup} */ g) => Array.isArray(g.visitors) && finite(g.visitors[0]) && g.visitors[0] > 0)
  if (!groups.length) {
    body.append(empty(`No visitor has started the funnel (${steps.join(' → ')}).`))
    return
  }
  const tableId = newId('funnel')
  body.append(
    table(
      tableId,
      `Visitors reaching each step in order, by ${BY_LABEL[by] ?? by}; the share lost since the step before in brackets`,
      [BY_LABEL[by] ? BY_LABEL[by].replace(/^./, (c) => c.toUpperCase()) : 'Group', ...steps],
      groups.map((g) => [
        String(g.group),
        ...steps.map((_, i) => (i === 0 ? count(g.visitors[i]) : `${count(g.visitors[i])} (lost ${percent(g.dropOff?.[i])})`)),
      ]),
    ),
  )
  drawChart('funnels', body, {
    label: `Chart: visitors reaching each funnel step, one line per ${BY_LABEL[by] ?? by}`,
    caption: `Visitors at each step, one line per ${BY_LABEL[by] ?? by} (${groups.map((g) => g.group).join(', ')}). The table above has the same numbers.`,
    describedBy: tableId,
    data: [steps.map((_, i) => i), ...groups.map((g) => steps.map((_, i) => (finite(g.visitors[i]) ? g.visitors[i] : null)))],
    options: {
      scales: { x: { time: false, range: [-0.25, steps.length - 0.75] }, y: { range: (/** @type {unknown} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [0, Math.max(1, max * 1.1)] } },
      axes: categoryAxes(steps, { label: 'visitors' }),
      series: [
        { label: 'step' },
        ...groups.map((g, i) => ({ label: String(g.group), stroke: COLOURS[i % COLOURS.length], width: 2, points: { show: true, size: 8, fill: COLOURS[i % COLOURS.length] } })),
      ],
    },
  })
}

const SEVERITY = /** @type {Record<string, string>} */ ({ high: 'High', medium: 'Medium', low: 'Low' })

/** @param {HTMLElement} body */
const renderAnomalies = async (body) => {
  const to = Math.floor(Date.now() / HOUR) * HOUR + HOUR
  const from = to - WINDOW_MS
  const [found, series] = await Promise.all([api(`/anomalies?from=${from}&to=${to}`), api(`/series?metric=events&from=${from}&to=${to}`)])
  /** @type {FoundAnomaly[]} */
  const anomalies = Array.isArray(found?.anomalies) ? found.anomalies.filter((/** @type {FoundAnomaly} */ a) => finite(a.hour)) : []
  /** @type {HourPoint[]} */
  const points = (Array.isArray(series?.points) ? series.points : []).filter((/** @type {HourPoint} */ p) => finite(p.hour) && finite(p.value))
  points.sort((a, b) => a.hour - b.hour)

  body.append(h('h3', {}, 'Detected anomalies'))
  if (anomalies.length) {
    body.append(
      h(
        'ul',
        { class: 'anomalies' },
        ...anomalies
          .sort((a, b) => b.hour - a.hour)
          .map((a) =>
            h(
              'li',
              { class: `severity-${a.severity}` },
              h('strong', {}, `${SEVERITY[a.severity] ?? a.severity} ${a.direction === 'drop' ? 'drop' : 'spike'}`),
              ` in ${a.metric === 'conversion_rate' ? `conversion rate${a.goal ? ` to ${a.goal}` : ''}` : 'events'} at ${utc(a.hour)}: `,
              a.metric === 'conversion_rate' ? `${percent(a.value, 2)} against about ${percent(a.expected, 2)} expected` : `${count(a.value)} against about ${count(a.expected)} expected`,
            ),
          ),
      ),
    )
  } else if (found?.enoughHistory === false) {
    body.append(empty('Anomalies are looked for once there are a few weeks of hourly history.'))
  } else {
    body.append(h('p', {}, 'None in the last 14 days.'))
  }

  body.append(h('h3', {}, 'Events per hour, last 14 days'))
  if (!points.some((p) => p.value > 0)) {
    body.append(empty('No event was received in the last 14 days.'))
    return
  }
  const marks = new Map(anomalies.filter((a) => a.metric === 'events').map((a) => [a.hour, a.value]))
  const listId = newId('hourly')
  // The text alternative of the chart: the busiest hours and the anomalies, in a table.
  const busiest = [...points].sort((a, b) => b.value - a.value || a.hour - b.hour).slice(0, 5)
  body.append(
    table(
      listId,
      'The busiest hours of the chart',
      ['Hour', 'Events', 'Anomaly'],
      busiest.map((p) => [utc(p.hour), count(p.value), marks.has(p.hour) ? 'yes' : 'no']),
    ),
  )
  drawChart('anomalies', body, {
    label: 'Chart: events per hour over the last 14 days, anomalies marked in red',
    caption: `Events per hour (line), anomalous hours marked with red dots (${marks.size} in the window). The list above names every anomaly.`,
    describedBy: listId,
    data: [points.map((p) => p.hour / 1000), points.map((p) => p.value), points.map((p) => (marks.has(p.hour) ? p.value : null))],
    options: {
      scales: { y: { range: (/** @type {unknown} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [0, Math.max(1, max * 1.1)] } },
      axes: [{}, { label: 'events' }],
      series: [
        { label: 'hour' },
        { label: 'events', stroke: COLOURS[0], width: 1.5, points: { show: false } },
        { label: 'anomaly', stroke: ANOMALY, paths: () => null, points: { show: true, size: 10, fill: ANOMALY, stroke: ANOMALY } },
      ],
    },
  })
}

/** @param {HTMLElement} body */
const renderVitals = async (body) => {
  const answer = await api('/vitals')
  /** @type {Map<string, { slot: string; variant: string | null; LCP?: number; CLS?: number; INP?: number; count: number }>} */
  const rows = new Map()
  for (const r of Array.isArray(answer?.slots) ? answer.slots : []) {
    if (!finite(r.p75) || !['LCP', 'CLS', 'INP'].includes(r.metric)) continue
    const key = JSON.stringify([r.slot, r.variant])
    const row = rows.get(key) ?? { slot: String(r.slot), variant: r.variant === null ? null : String(r.variant), count: 0 }
    row[/** @type {'LCP' | 'CLS' | 'INP'} */ (r.metric)] = r.p75
    row.count = Math.max(row.count, finite(r.count) ? r.count : 0)
    rows.set(key, row)
  }
  if (!rows.size) {
    body.append(empty('No Core Web Vitals were reported in the last 28 days (they come from attune/vitals).'))
    return
  }
  const list = [...rows.values()]
  const names = list.map((r) => `${r.slot}: ${r.variant ?? 'default'}`)
  const ms = (/** @type {number | undefined} */ x) => (finite(x) ? `${integer.format(Math.round(x))} ms` : '—')
  const tableId = newId('vitals')
  body.append(
    table(
      tableId,
      '75th percentile of each Core Web Vital per slot variant, last 28 days',
      ['Slot: variant', 'LCP p75', 'INP p75', 'CLS p75', 'Page views'],
      list.map((r, i) => [names[i] ?? '', ms(r.LCP), ms(r.INP), finite(r.CLS) ? r.CLS.toFixed(3) : '—', count(r.count)]),
    ),
  )
  const bars = (/** @type {number} */ align) => uPlot.paths.bars({ size: [0.35, 48], align })
  drawChart('vitals', body, {
    label: 'Chart: p75 LCP and INP in milliseconds and p75 CLS per slot variant',
    caption: 'p75 per slot variant: LCP (left bars) and INP (right bars) in ms on the left axis, CLS (dots) on the right axis. The table above has the same numbers.',
    describedBy: tableId,
    data: [list.map((_, i) => i), list.map((r) => r.LCP ?? null), list.map((r) => r.INP ?? null), list.map((r) => r.CLS ?? null)],
    options: {
      scales: {
        x: { time: false, range: [-0.5, list.length - 0.5] },
        ms: { range: (/** @type {unknown} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [0, Math.max(100, max * 1.1)] },
        cls: { range: (/** @type {unknown} */ _u, /** @type {number} */ _min, /** @type {number} */ max) => [0, Math.max(0.1, max * 1.1)] },
      },
      axes: [...categoryAxes(names, { scale: 'ms', label: 'ms' }), { scale: 'cls', side: 1, label: 'CLS', grid: { show: false } }],
      series: [
        { label: 'slot: variant' },
        { label: 'LCP p75 (ms)', scale: 'ms', stroke: COLOURS[0], fill: COLOURS[0], paths: bars(-1), points: { show: false } },
        { label: 'INP p75 (ms)', scale: 'ms', stroke: COLOURS[1], fill: COLOURS[1], paths: bars(1), points: { show: false } },
        { label: 'CLS p75', scale: 'cls', stroke: COLOURS[2], paths: () => null, points: { show: true, size: 10, fill: COLOURS[2] } },
      ],
    },
  })
}

// --- Sign-in and the page ---------------------------------------------------------------------

/** @param {string} message shown above the form ('' for none) */
const signOut = (message) => {
  session = null
  sessionStorage.removeItem(KEY)
  sessionStorage.removeItem(SITE)
  for (const id of undo.keys()) clearSection(id)
  for (const id of ['experiments', 'funnels', 'anomalies', 'vitals']) bodyOf(id).replaceChildren()
  byId('insights').hidden = true
  byId('account').hidden = true
  byId('sign-in').hidden = false
  byId('title').textContent = 'Insights'
  byId('sign-in-error').textContent = message
  const key = inputById('key')
  key.value = ''
  if (message) key.focus()
}

/** Loads every section for the current session; a refused key anywhere signs out. */
const load = async () => {
  if (!session) return
  const status = byId('status')
  status.textContent = `Loading insights for ${session.site}…`
  const runs = [
    section('experiments', 'the experiments', async (body) => {
      await renderExperiments(body)
      drawPending('experiments')
    }).then(() => section('funnels', 'the funnel', renderFunnel)),
    section('anomalies', 'the anomalies', renderAnomalies),
    section('vitals', 'the web vitals', renderVitals),
  ]
  const results = await Promise.allSettled(runs)
  if (results.some((r) => r.status === 'rejected')) {
    signOut('That admin key was refused. Enter it again.')
    return
  }
  status.textContent = `Insights for ${session.site}, loaded at ${utc(Date.now())}.`
}

/**
 * Checks the key and the site with the site's admin config (401: refused, 404: no such site),
 * then shows the insights.
 * @param {string} site
 * @param {string} key
 * @param {boolean} focusTitle move focus to the heading (after a sign-in by the user)
 */
const signIn = async (site, key, focusTitle) => {
  const error = byId('sign-in-error')
  // Switching sites: a site that is not there leaves the one shown as it was.
  const previous = session
  session = { site, key }
  try {
    await api('/config')
  } catch (failed) {
    session = previous
    if (failed instanceof Refused) {
      signOut('That admin key was refused.')
      return
    }
    const message = failed instanceof Failed && /unknown_site/.test(failed.message) ? `There is no site “${site}” on this server.` : `Could not sign in. ${failed instanceof Error ? failed.message : ''}`
    const field = inputById(previous ? 'switch-site' : 'site')
    byId(previous ? 'status' : 'sign-in-error').textContent = message
    field.focus()
    return
  }
  sessionStorage.setItem(KEY, key)
  sessionStorage.setItem(SITE, site)
  error.textContent = ''
  byId('sign-in').hidden = true
  byId('account').hidden = false
  byId('insights').hidden = false
  inputById('switch-site').value = site
  byId('title').textContent = `Insights for ${site}`
  if (focusTitle) byId('title').focus()
  await load()
}

const SITE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** Wires the page; returns its stop (the listeners and charts go). */
const start = () => {
  const controller = new AbortController()
  const { signal } = controller
  const form = /** @type {HTMLFormElement} */ (byId('sign-in-form'))
  form.addEventListener(
    'submit',
    (event) => {
      event.preventDefault()
      const site = inputById('site').value.trim()
      const key = inputById('key').value
      const error = byId('sign-in-error')
      if (!SITE_ID.test(site)) {
        error.textContent = 'Enter a site id: 1 to 64 letters, digits, “_”, “.” or “-”.'
        inputById('site').focus()
        return
      }
      if (!key) {
        error.textContent = 'Enter the admin key.'
        inputById('key').focus()
        return
      }
      void signIn(site, key, true)
    },
    { signal },
  )
  byId('switch-form').addEventListener(
    'submit',
    (event) => {
      event.preventDefault()
      const input = inputById('switch-site')
      const site = input.value.trim()
      if (!session || !SITE_ID.test(site)) {
        byId('status').textContent = 'Enter a site id: 1 to 64 letters, digits, “_”, “.” or “-”.'
        input.focus()
        return
      }
      void signIn(site, session.key, true)
    },
    { signal },
  )
  byId('sign-out').addEventListener('click', () => signOut(''), { signal })
  const reloadFunnel = () => {
    void section('funnels', 'the funnel', renderFunnel).catch(() => signOut('That admin key was refused. Enter it again.'))
  }
  byId('funnel-form').addEventListener('change', reloadFunnel, { signal })
  byId('funnel-form').addEventListener('submit', (event) => event.preventDefault(), { signal })

  const key = sessionStorage.getItem(KEY)
  const site = sessionStorage.getItem(SITE)
  if (key && site && SITE_ID.test(site)) void signIn(site, key, false)
  return () => {
    controller.abort()
    for (const id of undo.keys()) clearSection(id)
  }
}

start()
