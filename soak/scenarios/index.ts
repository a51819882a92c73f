/** The implemented scenarios, in the order the soak runs them. */
import type { Scenario } from './context.ts'
import { crowd } from './crowd.ts'
import { delayedJobs } from './delayed.ts'
import { gracefulStop } from './graceful-stop.ts'
import { killStorm } from './kill-storm.ts'
import { hostileInput } from './hostile-input.ts'
import { poisonJobs } from './poison.ts'
import { stuckHandlers } from './stuck-handlers.ts'

export const SCENARIOS: Scenario[] = [killStorm, gracefulStop, poisonJobs, stuckHandlers, hostileInput, crowd, delayedJobs]
