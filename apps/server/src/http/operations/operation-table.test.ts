import { openapiDocument } from '@uxmate/contract/document'
import { describe, expect, it } from 'vitest'
import { defaultConfig } from '../../config/config.ts'
import { createOpenApiValidator } from '../validation/index.ts'
import { compileOperationTable } from './operation-table.ts'

const validator = createOpenApiValidator(openapiDocument, defaultConfig.limits)
const table = compileOperationTable(openapiDocument, validator.operations)
const where = (check: (entry: NonNullable<ReturnType<typeof table.get>>) => boolean) =>
  [...table.values()].filter(check).map((entry) => entry.operationId)

describe('the operation table', () => {
  it('has every operation of openapi.yaml, routed on its path with Hono parameters', () => {
    expect(table.size).toBe(validator.operations.size)
    expect(table.get('get_session_file')?.routePath).toBe('/sessions/:session_id/files/:file_id')
    expect(table.get('get_session_file')?.prefix).toBe('/sessions')
    expect(table.get('get_readiness')?.routePath).toBe('/ready')
    expect(table.get('get_readiness')?.prefix).toBe('/ready')
  })

  it('guards the operations whose security names the API key, not the probes', () => {
    expect(where((entry) => !entry.takesApiKey).sort()).toEqual(['get_health', 'get_readiness'])
  })

  it('takes an Idempotency-Key exactly where openapi.yaml documents the header', () => {
    const documented = where((entry) =>
      (entry.request.parameters.header?.parameters ?? []).some(
        (header) => header.name === 'Idempotency-Key',
      ),
    )
    expect(where((entry) => entry.takesIdempotencyKey)).toEqual(documented)
    expect(documented.sort()).toEqual([
      'cancel_queued_turn',
      'cancel_session',
      'create_session_from_text',
      'delete_message_feedback',
      'delete_session',
      'edit_session_message',
      'fork_session',
      'rate_message',
      'regenerate_session_message',
      'rename_session',
      'switch_session_branch',
      'update_session',
    ])
  })

  it('keeps the answers of the reads marked x-uxmate-read-cache', () => {
    expect(where((entry) => entry.keepsAnswers).sort()).toEqual([
      'get_grouped_sessions',
      'get_session',
      'get_session_messages',
      'get_session_tree',
      'get_sessions',
      'search_sessions',
    ])
  })
})
