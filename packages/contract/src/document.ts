/**
 * openapi.yaml as data, for servers and tests that validate at run time. A separate entry point
 * so that clients, which need only the types, never bundle it.
 *
 * @example
 * ```ts
 * import { openapiDocument } from '@uxmate/contract/document'
 * console.log(Object.keys(openapiDocument.paths))
 * ```
 */
export { openapiDocument, openapiYaml } from './generated/document.ts'
export type * from './openapi-document.ts'
