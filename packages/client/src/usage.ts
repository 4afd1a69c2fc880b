/**
 * `client.usage`: the Usage operation, what the owner's agents' models used.
 */
import { type CallContext, headerParams, initFor, type RequestOptions, unwrap } from './call.ts'
import type { QueryParams, ResponseData } from './types.ts'

/** The methods of `client.usage`. */
export interface UsageApi {
  /**
   * `GET /usage` (`get_usage`): the tokens the owner's sessions used from `from` to `to`
   * (default: the last 30 days), by agent and by calendar day in `tz` (default UTC).
   *
   * @example
   * ```ts
   * const { agents, days } = await client.usage.getUsage({ from: '2026-11-01T00:00:00Z', tz: 'Europe/Paris' })
   * for (const agent of agents) console.log(agent.agent_id, agent.input_tokens, agent.output_tokens)
   * ```
   */
  getUsage(
    query?: QueryParams<'get_usage'>,
    options?: RequestOptions,
  ): Promise<ResponseData<'get_usage'>>
}

/** Builds `client.usage` on a call context. */
export function createUsageApi(context: CallContext): UsageApi {
  const { raw } = context
  return {
    getUsage(query = {}, options = {}) {
      return unwrap(
        'get_usage',
        raw.GET('/usage', {
          params: { query, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },
  }
}
