// Importing this module makes `.ts` files importable in this process (see hooks.mjs).
import { register } from 'node:module'
import { MessageChannel } from 'node:worker_threads'

// Node 20 runs module hooks on a thread of their own (an isolate of ~10 MB), idle once the app is
// loaded. Small background duties run there too instead of starting a thread each (the queue worker's
// watchdog would cost another ~9 MB of RSS): see loader-thread.ts for the contract.
const { port1, port2 } = new MessageChannel()
register('./hooks.mjs', import.meta.url, { data: { tasks: port2 }, transferList: [port2] })
port1.unref()
globalThis[Symbol.for('kiln.loaderThread')] = Object.freeze({ run: (source, data) => port1.postMessage({ source, data }) })
process.setSourceMapsEnabled(true)
