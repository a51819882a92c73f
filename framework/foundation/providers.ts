import type { ServiceProvider } from './provider.ts'
import { busProvider } from '../bus/provider.ts'
import { cacheProvider } from '../cache/provider.ts'
import { databaseProvider } from '../database/provider.ts'
import { encryptionProvider } from '../encryption/provider.ts'
import { eventsProvider } from '../events/provider.ts'
import { httpProvider } from '../http/provider.ts'
import { loggingProvider } from '../logging/provider.ts'
import { mailProvider } from '../mail/provider.ts'
import { modelProvider } from '../model/provider.ts'
import { queueProvider } from '../queue/provider.ts'
import { failedJobsProvider } from '../queue/failed/provider.ts'
import { redisProvider } from '../redis/provider.ts'

/** The framework's providers, in registration order. New modules add theirs here. */
export const frameworkProviders: ServiceProvider[] = [loggingProvider, encryptionProvider, eventsProvider, databaseProvider, cacheProvider, queueProvider, busProvider, failedJobsProvider, redisProvider, httpProvider, modelProvider, mailProvider]
