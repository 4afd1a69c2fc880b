/**
 * The server's layers and the one way their imports go (docs/architecture.md): `pnpm lint`
 * fails on a cycle or an import against the arrows. Paths are relative to the folder cruised
 * from (apps/server); files directly in src/ are the entry points and the composition root,
 * which may import anything and which nothing in a layer imports.
 */
const layer = (name) => `^src/${name}/`
const entryPoints = '^src/[^/]+\\.ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Modules that import each other, directly or around a loop.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-imports-only-domain',
      comment: 'The domain owns its records and ports; the other layers implement or call them.',
      severity: 'error',
      from: { path: layer('domain') },
      to: { path: '^src/', pathNot: layer('domain') },
    },
    {
      name: 'config-imports-nothing-of-ours',
      comment: 'Configuration is read by every layer, so it reads none of them.',
      severity: 'error',
      from: { path: layer('config') },
      to: { path: '^src/', pathNot: layer('config') },
    },
    {
      name: 'storage-imports-domain-and-config',
      comment: 'The stores implement the domain ports.',
      severity: 'error',
      from: { path: layer('storage') },
      to: { path: [layer('http'), layer('agents'), layer('webhooks'), entryPoints] },
    },
    {
      name: 'agents-import-domain-and-config',
      comment: 'The agents implement the domain agent port.',
      severity: 'error',
      from: { path: layer('agents') },
      to: { path: [layer('http'), layer('storage'), layer('webhooks'), entryPoints] },
    },
    {
      name: 'webhooks-import-domain-and-config',
      comment: 'The webhook sender implements the domain sender port: HTTP out, signing.',
      severity: 'error',
      from: { path: layer('webhooks') },
      to: { path: [layer('http'), layer('storage'), layer('agents'), entryPoints] },
    },
    {
      name: 'http-imports-domain-and-config',
      comment: 'Routes call domain services; they hold no store and no agent implementation.',
      severity: 'error',
      from: { path: layer('http') },
      to: { path: [layer('storage'), layer('agents'), layer('webhooks'), entryPoints] },
    },
    {
      name: 'observability-imports-domain-and-config',
      comment: 'Metrics and traces implement domain ports (the run observer); no layer is theirs.',
      severity: 'error',
      from: { path: layer('observability') },
      to: { path: [layer('http'), layer('storage'), layer('agents'), entryPoints] },
    },
    {
      name: 'storage-and-agents-import-no-observability',
      comment: 'Stores and agents report through their own small interfaces, wired by boot.ts.',
      severity: 'error',
      from: { path: [layer('storage'), layer('agents')] },
      to: { path: layer('observability') },
    },
    {
      name: 'validation-errors-import-nothing-of-validation',
      comment: 'The FastAPI/pydantic vocabulary is used by body reading and the OpenAPI compiler.',
      severity: 'error',
      from: { path: '^src/http/validation/errors/' },
      to: { path: '^src/http/validation/(body|openapi)/' },
    },
    {
      name: 'body-reading-imports-no-compiler',
      comment: 'Body reading knows media types and limits, not the document.',
      severity: 'error',
      from: { path: '^src/http/validation/body/' },
      to: { path: '^src/http/validation/openapi/' },
    },
  ],
  options: {
    // Tests may wire any layers together; they are not part of the server.
    exclude: { path: '\\.test\\.ts$' },
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
}
