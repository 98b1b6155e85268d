/**
 * A refused identify is 403 (with its reason), never 401: the SDK takes a 401 for a dead token
 * and starts over as a new visitor. And the signature is checked before the visitor is looked
 * up or created, so a refused identify stores nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createAttune, type Attune } from '../../src/index'
import { sync, type SyncHandle } from '../../src/sync/index'
import { IDENTIFY_SECRET, ORIGIN, SITE, auth, drivers, newVisitor, signUser, useServer, visitorId } from './helpers'

const NO_IDENTIFY = 'shop-no-identify'

describe.each(drivers)('identify refused ($name)', (driver) => {
  const t = useServer(driver, { sites: { [SITE]: { origins: [ORIGIN], identifySecret: IDENTIFY_SECRET }, [NO_IDENTIFY]: { origins: [ORIGIN] } } })
  const identify = (site: string, visitor: string, signature: string, headers: Record<string, string> = {}) =>
    t.request('POST', '/v1/identify', { body: { site, visitor, userId: 'user-9', signature }, headers })

  it('a wrong signature is 403 bad_signature, and the visitor and its token stay good', async () => {
    const v = await newVisitor(t)
    const answer = await identify(SITE, v.visitor, signUser('user-9', 'not-the-identify-secret'), auth(v.token))
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'forbidden', reason: 'bad_signature' })
    expect(await t.count('identities', 'site = $1 AND visitor = $2', [SITE, v.visitor])).toBe(0)
    expect((await t.request('POST', '/v1/collect', { body: { site: SITE, visitor: v.visitor, token: v.token, events: [] } })).status).toBe(200)
  })

  it('a wrong signature on first contact creates no visitor', async () => {
    const visitor = visitorId()
    const answer = await identify(SITE, visitor, signUser('user-9', 'not-the-identify-secret'))
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'forbidden', reason: 'bad_signature' })
    expect(await t.count('visitors', 'site = $1 AND visitor = $2', [SITE, visitor])).toBe(0)
  })

  it('a site without an identify secret answers 403 identify_disabled and creates no visitor', async () => {
    const visitor = visitorId()
    const answer = await identify(NO_IDENTIFY, visitor, signUser('user-9'))
    expect(answer.status).toBe(403)
    expect(answer.body).toEqual({ error: 'forbidden', reason: 'identify_disabled' })
    expect(await t.count('visitors', 'site = $1 AND visitor = $2', [NO_IDENTIFY, visitor])).toBe(0)
  })

  describe('the SDK', () => {
    let open: { a: Attune; handle: SyncHandle }[] = []
    afterEach(async () => {
      for (const { a, handle } of open) {
        handle.stop()
        await a.destroy()
      }
      open = []
    })

    it('keeps its visitor when identify is refused: the next batch goes as the same visitor', async () => {
      const visitors: string[] = []
      const viaServer = (async (input: RequestInfo | URL, init?: RequestInit) => {
        if (String(input).endsWith('/v1/collect')) visitors.push((JSON.parse(String(init?.body)) as { visitor: string }).visitor)
        return t.server.app.request(String(input), init)
      }) as typeof fetch
      const a = createAttune({ site: SITE, storage: 'memory' })
      const handle = sync(a, { endpoint: 'https://p.example.com', fetch: viaServer })
      open.push({ a, handle })
      const ready = new Promise((resolve) => a.on('ready', resolve))
      a.consent.grant()
      await ready
      a.track('before')
      await handle.flush()
      await handle.identify('user-9', { signature: signUser('user-9', 'not-the-identify-secret') })
      a.track('after')
      await handle.flush()
      expect(visitors.length).toBeGreaterThanOrEqual(2)
      expect(new Set(visitors).size).toBe(1)
      expect(await t.count('events', 'site = $1 AND visitor = $2', [SITE, visitors[0]])).toBe(2)
    })
  })
})
