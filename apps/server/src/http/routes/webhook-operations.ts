import type { WebhookOutbox } from '../../domain/webhook-outbox.ts'
import { listDeliveries } from '../../domain/webhooks.ts'
import { type OperationHandler, operation } from '../operations/operation-handler.ts'
import { toWebhookDelivery } from '../presenters.ts'
import { validationError } from '../validation/index.ts'

/** The handler of the Webhooks operation of openapi.yaml: the owner's deliveries and attempts. */
export function webhookOperations(outbox: WebhookOutbox): OperationHandler[] {
  return [
    operation('list_webhook_deliveries', async (c) => {
      const { limit = 20, cursor } = c.req.valid('query')
      const page = await listDeliveries(outbox, { owner: c.get('owner'), limit, cursor })
      if (page === 'invalid_cursor')
        return c.json(validationError(['query', 'cursor'], 'Invalid cursor', cursor), 422)
      return c.json(
        {
          deliveries: page.deliveries.map(toWebhookDelivery),
          ...(page.nextCursor && { next_cursor: page.nextCursor }),
        },
        200,
      )
    }),
  ]
}
