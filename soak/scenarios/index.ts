/** The implemented scenarios, in the order the soak runs them. */
import type { Scenario } from './context.ts'
import { batchChain } from './batch-chain.ts'
import { crowd } from './crowd.ts'
import { delayedJobs } from './delayed.ts'
import { encryptedJobs } from './encrypted.ts'
import { gracefulStop } from './graceful-stop.ts'
import { killStorm } from './kill-storm.ts'
import { hostileInput } from './hostile-input.ts'
import { poisonJobs } from './poison.ts'
import { producersDown } from './producers-down.ts'
import { prototypePollution } from './prototype.ts'
import { serverRestart } from './server-restart.ts'
import { signedPayloads } from './signed.ts'
import { stuckHandlers } from './stuck-handlers.ts'

export const SCENARIOS: Scenario[] = [killStorm, serverRestart, producersDown, gracefulStop, poisonJobs, stuckHandlers, hostileInput, crowd, delayedJobs, batchChain, prototypePollution, encryptedJobs, signedPayloads]
