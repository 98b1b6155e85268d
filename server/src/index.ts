/** The server's public entry: what tests, the CLI and embedders use. */
export { createServer } from './createServer'
export type { AttuneServer } from './createServer'
export { createDb } from './db/createDb'
export type { Db, Queryable, Row } from './db/createDb'
export { migrate } from './db/migrations'
export { mintToken, verifyToken } from './lib/token'
export { optionsFromEnv } from './optionsFromEnv'
export type { Limits, ServerOptions, SiteOptions } from './types'
