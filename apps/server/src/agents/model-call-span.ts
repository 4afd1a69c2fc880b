/**
 * A client span for each call to a model, in OpenTelemetry's GenAI semantic conventions
 * (`chat <model>`, `gen_ai.request.model`, `gen_ai.usage.input_tokens`, ...), and the W3C
 * `traceparent` that carries it to the provider. Through `@opentelemetry/api` only: while no
 * tracer provider is registered (tracing off) the span does nothing and no header is added.
 */
import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'
import type { TokenUsage } from '../domain/session-store.ts'

/** The instrumentation scope, the server's (`observability/tracing.ts`). */
const tracer = trace.getTracer('@uxmate/server')

export interface ModelCallSpan {
  /** Headers for the provider's request: `traceparent` (and `tracestate`) when tracing. */
  headers: Record<string, string>
  /** Notes what a chunk (or a whole completion) says of the response. */
  response(part: { id?: string; model?: string; finishReason?: string | null }): void
  /** The call failed: why, in a word (the error's class). */
  failed(error: unknown): void
  /** Ends the span with the call's token usage, when there was a call. */
  end(usage: TokenUsage | undefined): void
}

/**
 * Starts the span of one chat completion, a child of the current span (the run's).
 *
 * @example
 * ```ts
 * const call = startModelCall({ model: 'gpt-4o-mini', baseUrl: client.baseURL, kind: 'reply' })
 * const stream = await client.chat.completions.create(body, { headers: call.headers })
 * call.end(usage)
 * ```
 */
export function startModelCall(options: {
  model: string
  baseUrl: string
  /** What the call is for. */
  kind: 'reply' | 'title' | 'compaction'
  maxTokens?: number
}): ModelCallSpan {
  const server = new URL(options.baseUrl)
  const span: Span = tracer.startSpan(`chat ${options.model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': options.model,
      ...(options.maxTokens !== undefined && { 'gen_ai.request.max_tokens': options.maxTokens }),
      'server.address': server.hostname,
      'server.port': Number(server.port) || (server.protocol === 'https:' ? 443 : 80),
      'uxmate.model_call.kind': options.kind,
    },
  })
  const headers: Record<string, string> = {}
  propagation.inject(trace.setSpan(context.active(), span), headers)
  const finishReasons: string[] = []
  return {
    headers,
    response({ id, model, finishReason }) {
      if (id) span.setAttribute('gen_ai.response.id', id)
      if (model) span.setAttribute('gen_ai.response.model', model)
      if (finishReason) finishReasons.push(finishReason)
    },
    failed(error) {
      const type = error instanceof Error ? error.constructor.name : 'Error'
      span.setAttribute('error.type', type)
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      })
    },
    end(usage) {
      if (finishReasons.length > 0)
        span.setAttribute('gen_ai.response.finish_reasons', finishReasons)
      if (usage)
        span.setAttributes({
          'gen_ai.usage.input_tokens': usage.inputTokens,
          'gen_ai.usage.output_tokens': usage.outputTokens,
          'uxmate.usage.estimated': usage.estimated,
        })
      span.end()
    },
  }
}
