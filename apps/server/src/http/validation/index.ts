/**
 * Run-time request validation from openapi.yaml, with FastAPI-compatible error bodies.
 *
 * @example
 * ```ts
 * import { createOpenApiValidator } from './validation/index.ts'
 * const validator = createOpenApiValidator(openapiDocument, config.limits)
 * app.get('/sessions', validator.for('get_sessions'), (c) => c.json(c.req.valid('query')))
 * ```
 */

export { sanitizeContentType, sanitizeFileName, type UploadedFile } from './body/uploaded-file.ts'
export {
  type Loc,
  missingIssue,
  toContractBody,
  type ValidationErrorBody,
  type ValidationIssue,
  validationError,
  valueErrorIssue,
} from './errors/fastapi-errors.ts'
export { createOpenApiValidator, type OpenApiValidator } from './openapi/openapi-validator.ts'
export type { FormOutput, ValidatedInput, ValidatedOutput } from './openapi/types.ts'
