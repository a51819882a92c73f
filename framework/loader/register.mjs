// Importing this module makes `.ts` files importable in this process (see hooks.mjs).
import { register } from 'node:module'

register('./hooks.mjs', import.meta.url)
process.setSourceMapsEnabled(true)
