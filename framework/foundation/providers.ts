import type { ServiceProvider } from './provider.ts'
import { databaseProvider } from '../database/provider.ts'
import { loggingProvider } from '../logging/provider.ts'

/** The framework's providers, in registration order. New modules add theirs here. */
export const frameworkProviders: ServiceProvider[] = [loggingProvider, databaseProvider]
