import { Kernel } from './kernel.ts'

/** Entry point of `bin/craft`. */
export async function main(argv: string[], options: { basePath: string }): Promise<number> {
  return new Kernel({ basePath: options.basePath }).handle(argv)
}
