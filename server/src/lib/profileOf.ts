import type { Queryable } from '../db/createDb'
import type { Profile } from '../sdk'
import { entriesOf, linkedVisitors } from '../db/profiles'
import { merge, migrate } from '../sdk'

/**
 * The visitor's profile merged with those of every visitor identified as the same user, with
 * the SDK's own `merge`. Each stored entry goes through `migrate` first: one that no longer
 * validates is left out rather than served.
 */
export const profileOf = async (q: Queryable, site: string, visitor: string): Promise<Profile> =>
  profileOfVisitors(q, site, await linkedVisitors(q, site, visitor))

/** The merged profile of exactly these visitors (a user's, as the call-center view lists them). */
export const profileOfVisitors = async (q: Queryable, site: string, visitors: readonly string[]): Promise<Profile> => {
  const rows = await entriesOf(q, site, visitors)
  let profile: Profile = { schema: 1, devices: {} }
  for (const row of rows) {
    const checked = migrate({ schema: 1, devices: { [row.device]: row.entry } })
    if ('profile' in checked) profile = merge(profile, checked.profile)
  }
  return profile
}
