import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { openapiDocument, openapiYaml } from '@uxmate/contract/document'
import { Hono } from 'hono'

/** The Swagger UI files the page needs, served from the npm package: no CDN, works offline. */
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${openapiDocument.info.title}</title>
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" />
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`

/**
 * A separate script, so the page works under a Content-Security-Policy without 'unsafe-inline'.
 * The page gets the document as Swagger UI can show it, without a warning or a missing part:
 * - `jsonSchemaDialect` goes: Swagger UI warns on any value but OpenAPI's own dialect, which is
 *   JSON Schema 2020-12 with OpenAPI's keywords, a superset of what the document declares;
 * - the server is the one serving the page, whatever its address (`servers` names the default);
 * - `Idempotency-Key` has no example here: a fixed key sent twice from "Try it out" is refused
 *   (`422`, another request) or replayed; left empty, every try is a request of its own;
 * - nor has `Prefer`: a try waits for the agent's reply and shows it, as a first call should;
 * - a form's list of files left empty is sent by Swagger UI as one empty part named `blob`, a
 *   file the server would keep: such parts are left out of the request;
 * - arrays of files (`format: binary` items) are drawn by Swagger UI itself, which still asks for
 *   a component of that name first and logs an error when there is none: the plugin names it.
 */
const init = `(async () => {
  const spec = await (await fetch('/openapi.json')).json()
  delete spec.jsonSchemaDialect
  spec.servers = [{ url: window.location.origin, description: 'This server' }]
  for (const name of ['IdempotencyKey', 'Prefer']) delete spec.components.parameters[name]?.example
  const binaryStrings = (system) => ({
    components: {
      JsonSchema_string_binary: (props) =>
        system.React.createElement(system.getComponent('JsonSchema_string'), props),
    },
  })
  window.ui = SwaggerUIBundle({
    spec,
    dom_id: '#swagger-ui',
    deepLinking: true,
    displayOperationId: true,
    // The default sends the spec to an online validator; this page must work offline.
    validatorUrl: null,
    plugins: [binaryStrings],
    requestInterceptor: (request) => {
      if (!(request.body instanceof FormData)) return request
      const form = new FormData()
      for (const [name, value] of request.body) {
        const unchosen = value instanceof File && value.name === 'blob' && value.size === 0
        if (!unchosen) form.append(name, value)
      }
      request.body = form
      return request
    },
    layout: 'BaseLayout',
  })
})()
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
