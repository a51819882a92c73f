// The bench app serves the skeleton's config (bench/http-orders.ts points it elsewhere through env variables).
export { default } from '../../../config/logging.ts'
