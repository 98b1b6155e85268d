/**
 * The drop reasons a client reports become metric labels only when they are the SDK's own;
 * anything else counts as `other`, and one request adds at most 10,000 drops, so no visitor can
 * crowd the real reasons out of /metrics or inflate them.
 */
import { describe, expect, it } from 'vitest'
import { SITE, drivers, newVisitor, useServer } from './helpers'

describe.each(drivers)('client drop reasons in /metrics ($name)', (driver) => {
  const t = useServer(driver)
  const series = async () => {
    const text = (await t.request('GET', '/metrics')).text
    return Object.fromEntries(
      text
        .split('\n')
        .filter((l) => l.startsWith('attune_client_dropped_total{'))
        .map((l) => [/reason="([^"]*)"/.exec(l)?.[1], Number(l.split(' ').pop())]),
    ) as Record<string, number>
  }

  it("made-up reasons count as other; the SDK's reasons keep their labels, even after a flood of made-up ones", async () => {
    const { visitor, token } = await newVisitor(t)
    const collect = (dropped: Record<string, number>) => t.request('POST', '/v1/collect', { body: { site: SITE, visitor, token, events: [], dropped } })
    for (let i = 0; i < 4; i++) {
      const junk = Object.fromEntries(Array.from({ length: 32 }, (_, j) => [`junk_${i}_${j}`, 1]))
      expect((await collect(junk)).status).toBe(200)
    }
    expect((await collect({ overflow: 3, expired: 2, status_413: 1, outbox_full: 4 })).status).toBe(200)
    expect(await series()).toEqual({ other: 4 * 32 + 4, overflow: 3, expired: 2, status_413: 1 })
  })

  it('one request adds at most 10,000 drops, over all its reasons', async () => {
    const { visitor, token } = await newVisitor(t)
    const before = await series()
    const answer = await t.request('POST', '/v1/collect', { body: { site: SITE, visitor, token, events: [], dropped: { overflow: 1e9, expired: 1e9 } } })
    expect(answer.status).toBe(200)
    const after = await series()
    expect((after.overflow ?? 0) - (before.overflow ?? 0) + (after.expired ?? 0) - (before.expired ?? 0)).toBe(10_000)
  })
})
