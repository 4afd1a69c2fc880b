/**
 * `client.service`: the Service tag's probes.
 */
import {
  answerOf,
  type CallContext,
  headerParams,
  initFor,
  type RequestOptions,
  unwrap,
} from './call.ts'
import { UxmateApiError } from './errors.ts'
import type { ResponseBody, ResponseData } from './types.ts'

type Readiness = ResponseData<'get_readiness'> | ResponseBody<'get_readiness', 503>

/** The methods of `client.service`. */
export interface ServiceApi {
  /**
   * `GET /health` (`get_health`): answers while the server process is up.
   *
   * @example
   * ```ts
   * const { status } = await client.service.getHealth() // 'ok'
   * ```
   */
  getHealth(options?: RequestOptions): Promise<ResponseData<'get_health'>>

  /**
   * `GET /ready` (`get_readiness`): whether the server can take traffic. A documented `503`
   * is an answer, not an error: it resolves with `status: 'not_ready'` and the failed `checks`.
   * It is not retried unless `options.retry` asks for it, since a probe wants the state now.
   *
   * @example
   * ```ts
   * const { status, checks } = await client.service.getReadiness()
   * if (status !== 'ready') console.warn(checks)
   * ```
   */
  getReadiness(options?: RequestOptions): Promise<Readiness>
}

const isReadiness = (body: unknown): body is Readiness =>
  typeof body === 'object' && body !== null && 'status' in body && 'checks' in body

/** Builds `client.service` on a call context. */
export function createServiceApi(context: CallContext): ServiceApi {
  const { raw } = context
  return {
    getHealth(options = {}) {
      return unwrap(
        'get_health',
        raw.GET('/health', {
          params: { header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },

    async getReadiness(options = {}) {
      const { data, error, response } = await answerOf(
        'get_readiness',
        raw.GET('/ready', {
          params: { header: headerParams(options) },
          ...initFor(context, { ...options, retry: options.retry ?? false }),
        }),
      )
      if (response.ok && data !== undefined) return data
      if (response.status === 503 && isReadiness(error)) return error
      throw new UxmateApiError('get_readiness', response, error)
    },
  }
}
