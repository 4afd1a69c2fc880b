import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { openapiDocument, openapiYaml } from '@uxmate/contract/document'
import { Hono } from 'hono'

/** The Swagger UI files the page needs, served from the npm package: no CDN, works offline. */
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
}

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${openapiDocument.info.title}</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`

// A separate script, so the page works under a Content-Security-Policy without 'unsafe-inline'.
const init = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  displayOperationId: true,
  // The default sends the spec to an online validator; this page must work offline.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
})
`

/** The spec as YAML and JSON, and an interactive reference at /docs. */
export function docsRoutes(): Hono {
  const assetDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
  const cache = new Map<string, Promise<Buffer>>()
  const asset = (name: string) => {
    let content = cache.get(name)
    if (!content) {
      content = readFile(join(assetDir, name))
      cache.set(name, content)
    }
    return content
  }

  return new Hono()
    .get('/openapi.json', (c) => c.json(openapiDocument))
    .get('/openapi.yaml', (c) => c.body(openapiYaml, 200, { 'Content-Type': 'application/yaml' }))
    .get('/docs', (c) => c.html(page))
    .get('/docs/init.js', (c) =>
      c.body(init, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }),
    )
    .get('/docs/assets/:name', async (c) => {
      const name = c.req.param('name')
      const type = assets[name]
      if (!type) return c.json({ detail: 'Not Found' }, 404)
      return c.body(new Uint8Array(await asset(name)), 200, {
        'Content-Type': type,
        'Cache-Control': 'public, max-age=86400',
      })
    })
}
