/**
 * `client.webhooks`: the Webhooks operation, the owner's webhook deliveries and their attempts.
 */
import { type CallContext, headerParams, initFor, type RequestOptions, unwrap } from './call.ts'
import { paginate } from './pagination.ts'
import type { QueryParams, ResponseData } from './types.ts'

type DeliveryPage = ResponseData<'list_webhook_deliveries'>

/** The methods of `client.webhooks`. */
export interface WebhooksApi {
  /**
   * `GET /webhooks/deliveries` (`list_webhook_deliveries`): a page of the owner's deliveries,
   * newest first, each with its state and every attempt.
   *
   * @example
   * ```ts
   * const { deliveries } = await client.webhooks.listWebhookDeliveries({ limit: 20 })
   * for (const d of deliveries) console.log(d.event_type, d.state, d.attempts.length)
   * ```
   */
  listWebhookDeliveries(
    query?: QueryParams<'list_webhook_deliveries'>,
    options?: RequestOptions,
  ): Promise<DeliveryPage>
  /**
   * Every delivery, newest first, across all pages of `listWebhookDeliveries`.
   *
   * @example
   * ```ts
   * for await (const delivery of client.webhooks.allWebhookDeliveries()) if (delivery.state === 'failed') console.log(delivery.id)
   * ```
   */
  allWebhookDeliveries(
    query?: QueryParams<'list_webhook_deliveries'>,
    options?: RequestOptions,
  ): AsyncGenerator<DeliveryPage['deliveries'][number], void, undefined>
}

/** Builds `client.webhooks` on a call context. */
export function createWebhooksApi(context: CallContext): WebhooksApi {
  const { raw } = context
  const api: WebhooksApi = {
    listWebhookDeliveries(query = {}, options = {}) {
      return unwrap(
        'list_webhook_deliveries',
        raw.GET('/webhooks/deliveries', {
          params: { query, header: headerParams(options) },
          ...initFor(context, options),
        }),
      )
    },
    async *allWebhookDeliveries(query = {}, options = {}) {
      const { cursor, ...rest } = query
      const pages = paginate(
        (next) => api.listWebhookDeliveries({ ...rest, cursor: next }, options),
        cursor,
      )
      for await (const page of pages) yield* page.deliveries
    },
  }
  return api
}
