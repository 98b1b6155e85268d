#!/usr/bin/env node
// The server is TypeScript run as is: tsx compiles it on the fly, so there is no build step.
import { register } from 'tsx/esm/api'

register()
await import('../src/main.ts')
