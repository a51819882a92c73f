import { describe, expect, it } from 'vitest'
import { allowedMethods } from '../../framework/http/allowed-methods.ts'
import { formatRouteList, summarizeRoutes } from '../../framework/http/route-list.ts'
import { Router, toFastifyPath } from '../../framework/http/router.ts'

class OrderController {
  index() {
    return []
  }
  store() {
    return {}
  }
  show() {
    return {}
  }
}

function routes() {
  const router = new Router()
  router.post('/orders', [OrderController, 'store']).name('orders.store')
  router.get('/orders/{order}', [OrderController, 'show'])
  router.get('/', () => 'home')
  router.group({ prefix: 'admin/', name: 'admin.' }, (admin) => admin.get('/orders', [OrderController, 'index']).name('orders'))
  return router.routes
}

describe('route:list rows', () => {
  it('lists GET routes as GET|HEAD, sorted by URI, with Laravel-style URIs and actions', () => {
    expect(summarizeRoutes(routes())).toEqual([
      { method: 'GET|HEAD', uri: '/', name: null, action: 'Closure' },
      { method: 'GET|HEAD', uri: 'admin/orders', name: 'admin.orders', action: 'OrderController@index' },
      { method: 'POST', uri: 'orders', name: 'orders.store', action: 'OrderController@store' },
      { method: 'GET|HEAD', uri: 'orders/{order}', name: null, action: 'OrderController@show' },
    ])
  })

  it('filters by method, path and name', () => {
    expect(summarizeRoutes(routes(), { method: 'post' }).map((r) => r.uri)).toEqual(['orders'])
    expect(summarizeRoutes(routes(), { method: 'head', path: '/orders' }).map((r) => r.uri)).toEqual(['admin/orders', 'orders/{order}'])
    expect(summarizeRoutes(routes(), { name: 'admin.' }).map((r) => r.uri)).toEqual(['admin/orders'])
  })

  it('renders artisan-style dotted lines ending at the width, and the count', () => {
    const lines = formatRouteList(summarizeRoutes(routes()), 80)
    expect(lines[0]).toBe('')
    expect(lines[3]).toMatch(/^ {2}POST {11}orders \.+ orders\.store › OrderController@store$/)
    expect(lines[2]).toMatch(/^ {2}GET\|HEAD {7}admin\/orders \.+ admin\.orders › OrderController@index$/)
    for (const line of lines.slice(1, 5)) expect(line.length).toBe(78)
    expect(lines.at(-2)).toBe(`${' '.repeat(80 - 'Showing [4] routes'.length - 2)}Showing [4] routes`)
  })
})

describe('route URIs', () => {
  it('turns {param} placeholders into Fastify params', () => {
    expect(toFastifyPath('/orders/{order}/items/{item?}')).toBe('/orders/:order/items/:item?')
  })
})

describe('allowed methods for a path (405 answers)', () => {
  it('matches placeholders, optional placeholders and literal dots', () => {
    const router = new Router()
    router.get('/files/{name}.json', () => null)
    router.delete('/files/{name}.json', () => null)
    router.post('/posts/{post}/comments/{comment?}', () => null)
    expect(allowedMethods(router.routes, '/files/report.json')).toEqual(['GET', 'HEAD', 'DELETE'])
    expect(allowedMethods(router.routes, '/files/reportxjson')).toEqual([])
    expect(allowedMethods(router.routes, '/posts/1/comments')).toEqual(['POST'])
    expect(allowedMethods(router.routes, '/posts/1/comments/2')).toEqual(['POST'])
    expect(allowedMethods(router.routes, '/posts/1/comments/2/3')).toEqual([])
  })
})
