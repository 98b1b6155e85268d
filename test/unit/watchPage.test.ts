import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { watchPage } from '../../src/page/watchPage'
import type { EventProps } from '../../src/track'

let calls: Array<[string, EventProps?]>
let stop: () => void
const deps = {
  page: () => calls.push(['page_viewed']),
  track: (name: string, props?: EventProps) => calls.push([name, props]),
}
const addJsonLd = (data: unknown) => {
  const script = document.createElement('script')
  script.type = 'application/ld+json'
  script.textContent = JSON.stringify(data)
  document.head.append(script)
}

beforeEach(() => {
  calls = []
  document.head.replaceChildren()
  document.body.replaceChildren()
  history.replaceState(null, '', '/start')
})
afterEach(() => stop?.())

describe('watchPage', () => {
  it('records the page it starts on', () => {
    stop = watchPage(window, deps)
    expect(calls).toEqual([['page_viewed']])
  })

  it('records SPA navigations through pushState, replaceState and popstate, never the same URL twice in a row', () => {
    stop = watchPage(window, deps)
    history.pushState(null, '', '/products/1')
    history.pushState(null, '', '/products/1#reviews')
    history.replaceState(null, '', '/products/1?tab=reviews')
    history.replaceState(null, '', '/products/1?tab=reviews')
    window.dispatchEvent(new PopStateEvent('popstate'))
    history.pushState(null, '', '/start')
    window.dispatchEvent(new PopStateEvent('popstate'))
    expect(calls.filter(([n]) => n === 'page_viewed')).toHaveLength(4)
  })

  it('records a product_viewed from the page’s schema.org Product JSON-LD, after the page renders', async () => {
    addJsonLd({ '@context': 'https://schema.org', '@type': 'Product', sku: 'sku-9', name: 'Trail runner', category: 'Running', brand: { '@type': 'Brand', name: 'Northpeak' }, offers: { price: '129.00', priceCurrency: 'EUR' } })
    stop = watchPage(window, deps)
    expect(calls).toEqual([['page_viewed']])
    await new Promise((r) => setTimeout(r))
    expect(calls[1]).toEqual(['product_viewed', { product_id: 'sku-9', name: 'Trail runner', category: 'Running', brand: 'Northpeak', price: 129, currency: 'EUR' }])
  })

  it('records clicks on [data-attune-track] with the product attributes of the element or its ancestors', () => {
    document.body.append(Object.assign(document.createElement('div'), { id: 'card' }))
    const card = document.getElementById('card')!
    card.setAttribute('data-attune-product', 'sku-1')
    card.setAttribute('data-attune-product-category', 'Running')
    const button = document.createElement('button')
    button.setAttribute('data-attune-track', 'product_added')
    const label = document.createElement('span')
    button.append(label)
    card.append(button)
    stop = watchPage(window, deps)
    label.click()
    expect(calls[1]).toEqual(['product_added', { product_id: 'sku-1', category: 'Running' }])
  })

  it('uses the page’s product for a product_ click without its own', () => {
    addJsonLd({ '@type': 'Product', sku: 'sku-page' })
    const button = document.createElement('button')
    button.setAttribute('data-attune-track', 'product_added')
    document.body.append(button)
    stop = watchPage(window, deps)
    button.click()
    expect(calls[1]).toEqual(['product_added', { product_id: 'sku-page' }])
  })

  it('ignores clicks elsewhere', () => {
    document.body.append(document.createElement('button'))
    stop = watchPage(window, deps)
    document.querySelector('button')!.click()
    expect(calls).toHaveLength(1)
  })

  it('stop() restores history, removes its listeners and cancels the pending product check', async () => {
    addJsonLd({ '@type': 'Product', sku: 'x' })
    const { pushState, replaceState } = history
    stop = watchPage(window, deps)
    stop()
    expect(history.pushState).toBe(pushState)
    expect(history.replaceState).toBe(replaceState)
    history.pushState(null, '', '/elsewhere')
    window.dispatchEvent(new PopStateEvent('popstate'))
    document.body.click()
    await new Promise((r) => setTimeout(r))
    expect(calls).toEqual([['page_viewed']])
  })

  it('stop() leaves a later wrapper of pushState in place, and ours goes inert', () => {
    const original = history.pushState
    stop = watchPage(window, deps)
    const ours = history.pushState
    const theirs = vi.fn((...args: Parameters<History['pushState']>) => ours.apply(history, args))
    history.pushState = theirs
    stop()
    expect(history.pushState).toBe(theirs)
    history.pushState(null, '', '/after')
    expect(theirs).toHaveBeenCalled()
    expect(calls).toHaveLength(1)
    history.pushState = original
  })
})
