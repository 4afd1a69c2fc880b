/** Multipart form values, validated against the operation's form schema. */
import type { OpenApiDocument } from '@uxmate/contract/document'
import type { FormEntries } from '../body/multipart.ts'
import type { UploadedFile } from '../body/uploaded-file.ts'
import { type ValidationIssue, valueErrorIssue } from '../errors/fastapi-errors.ts'
import { coerceValues } from './coerce.ts'
import { type Checked, inFieldOrder, withAjvIssues } from './issue-collection.ts'
import type { BodySpec } from './operation-spec.ts'
import { schemaTypes } from './schema-refs.ts'

const NOT_A_FILE = "Expected UploadFile, received: <class 'str'>"

/**
 * Validates multipart parts against the form schema: text fields converted as their schema
 * says (an empty value counts as absent, as in FastAPI), file fields checked to be files.
 * Returns the text values with each file field as its {@link UploadedFile}(s); a file list is
 * always there, possibly empty.
 *
 * @example
 * ```ts
 * const { value, issues } = checkForm(document, operation.body.multipart, entries)
 * ```
 */
export function checkForm(
  document: OpenApiDocument,
  spec: NonNullable<BodySpec['multipart']>,
  entries: FormEntries,
): Checked {
  // Ajv sees file fields as their names (strings), so that presence and counts are checked.
  const data: Record<string, unknown> = {}
  const files: Record<string, UploadedFile | UploadedFile[]> = {}
  const raw: Record<string, unknown> = {}
  const early: ValidationIssue[] = []
  for (const field of spec.fields) {
    // An empty text value in a file field is how some clients say "no file" (FastAPI: missing).
    const parts = (entries.get(field.name) ?? []).filter(
      (p) => field.files === undefined || p.kind === 'file' || p.value !== '',
    )
    const loc = ['body', field.name]
    if (field.files === 'list') {
      files[field.name] = parts.flatMap((p) => (p.kind === 'file' ? [p.file] : []))
      parts.forEach((p, i) => {
        if (p.kind === 'text') early.push(valueErrorIssue([...loc, i], NOT_A_FILE, p.value))
      })
      if (parts.length > 0)
        data[field.name] = parts.map((p) => (p.kind === 'file' ? p.file.name : p.value))
    } else if (field.files === 'single') {
      const part = parts[0]
      if (part?.kind === 'file') files[field.name] = part.file
      else if (part) early.push(valueErrorIssue(loc, NOT_A_FILE, part.value))
      if (part) data[field.name] = part.kind === 'file' ? part.file.name : part.value
    } else {
      const list = schemaTypes(document, field.schema).has('array')
      const texts: string[] = []
      for (const [i, part] of parts.entries()) {
        if (part.kind === 'text') {
          texts.push(part.value)
          continue
        }
        const msg = 'Input should be a valid string'
        early.push({
          type: 'string_type',
          loc: list ? [...loc, i] : loc,
          msg,
          input: part.file.name,
        })
      }
      // FastAPI reads an empty form value as an absent one.
      if (texts.length === 0 || (!list && texts.at(-1) === '')) continue
      const coerced = coerceValues(document, field.schema, texts, loc, 'last')
      data[field.name] = coerced.value
      raw[field.name] = Array.isArray(coerced.value) ? texts : coerced.sent
      early.push(...coerced.issues)
    }
  }
  const issues = withAjvIssues(spec.validate, data, raw, ['body'], early)
  return {
    value: { ...data, ...files },
    issues: inFieldOrder(
      issues,
      spec.fields.map((f) => f.name),
    ),
  }
}
