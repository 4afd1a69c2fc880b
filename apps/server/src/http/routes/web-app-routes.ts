/**
 * The reference web app (apps/web), built, served at `/` of the server: same origin as the
 * API, so it needs no CORS. Its files are read once, when first asked for, and kept.
 */
import { readFile } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'
import { Hono } from 'hono'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
}

/**
 * `/` (the app's page) and `/assets/<file>` (its hashed, immutable files) from `dir`.
 *
 * @example
 * ```ts
 * app.route('/', webAppRoutes('/app/web'))
 * ```
 */
export function webAppRoutes(dir: string): Hono {
  const kept = new Map<string, Promise<Buffer | undefined>>()
  const file = (name: string) => {
    let content = kept.get(name)
    if (!content) {
      content = readFile(join(dir, name)).catch(() => undefined)
      kept.set(name, content)
    }
    return content
  }
  return new Hono()
    .get('/', async (c) => {
      const page = await file('index.html')
      if (!page) return c.json({ detail: 'Not Found' }, 404)
      // The page names the current assets: never kept by a cache past a deploy.
      return c.body(new Uint8Array(page), 200, {
        'Content-Type': TYPES['.html'] ?? '',
        'Cache-Control': 'no-cache',
      })
    })
    .get('/assets/:name', async (c) => {
      const name = c.req.param('name')
      const type = TYPES[extname(name)]
      // A plain file name of the build: no path, nothing outside the folder.
      const path = normalize(join('assets', name))
      if (!type || name.includes('/') || name.includes('\\') || !path.startsWith('assets'))
        return c.json({ detail: 'Not Found' }, 404)
      const content = await file(path)
      if (!content) return c.json({ detail: 'Not Found' }, 404)
      return c.body(new Uint8Array(content), 200, {
        'Content-Type': type,
        'Cache-Control': 'public, max-age=31536000, immutable',
      })
    })
}
