import type { Route } from './router.ts'

/**
 * The verbs other routes accept for a path that matched no route for the request's verb, so the kernel
 * can answer 405 with an `Allow` header as Laravel does, instead of a misleading 404.
 */
export function allowedMethods(routes: Route[], path: string): string[] {
  const methods = new Set<string>()
  for (const route of routes) {
    if (!pattern(route.uri).test(path)) continue
    for (const method of route.methods) {
      methods.add(method)
      if (method === 'GET') methods.add('HEAD')
    }
  }
  return [...methods]
}

const patterns = new Map<string, RegExp>()

function pattern(uri: string): RegExp {
  let compiled = patterns.get(uri)
  if (!compiled) {
    const source = uri
      .split(/(\/?\{\w+\??\})/)
      .map((part) => {
        const param = /^(\/?)\{\w+(\?)?\}$/.exec(part)
        if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        return param[2] ? `(?:${param[1]}[^/]+)?` : `${param[1]}[^/]+`
      })
      .join('')
    compiled = new RegExp(`^${source}/?$`)
    patterns.set(uri, compiled)
  }
  return compiled
}
