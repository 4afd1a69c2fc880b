/**
 * OpenTelemetry traces, off unless the standard `OTEL_*` variables ask for them (see
 * `config/load-config.ts`, `tracing`). Off, nothing of the SDK is loaded: the layers call
 * `@opentelemetry/api`, whose tracer does nothing until a provider is registered, and the
 * server adds none of its tracing middleware. On, the SDK is imported here, an OTLP exporter
 * (http/protobuf, its endpoint and headers from `OTEL_EXPORTER_OTLP_*`) is registered with the
 * W3C trace-context propagator, and the sampler and batching follow `OTEL_TRACES_SAMPLER*` and
 * `OTEL_BSP_*` as the SDK reads them.
 */
import {
  context,
  type Link,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import type { SpanProcessor } from '@opentelemetry/sdk-trace-node'
import type { RunObservation, RunObserver } from '../domain/run-observer.ts'
import type { SessionStore } from '../domain/session-store.ts'

/** The instrumentation scope of every span the server makes. */
export const TRACER_NAME = '@uxmate/server'

export interface Tracing {
  /** The runs' side: each run a span, linked to the request that started it. */
  runs: RunObserver
  /** Ends the spans still batched: sends them, then stops the exporter. */
  shutdown(): Promise<void>
}

export interface StartTracingOptions {
  /** Where spans go instead of the OTLP exporter (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[]
  /** `service.version` of the resource. */
  version?: string
}

/**
 * Loads the SDK and registers a tracer provider for the whole process: call it once, and only
 * when tracing is on (`config.tracing`). Resolves once spans can be made.
 *
 * @example
 * ```ts
 * const tracing = config.tracing ? await startTracing() : undefined
 * await tracing?.shutdown()
 * ```
 */
export async function startTracing(options: StartTracingOptions = {}): Promise<Tracing> {
  const [{ NodeTracerProvider, BatchSpanProcessor }, resources] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
  ])
  const processors =
    options.spanProcessors ??
    (await import('@opentelemetry/exporter-trace-otlp-proto').then(({ OTLPTraceExporter }) => [
      new BatchSpanProcessor(new OTLPTraceExporter()),
    ]))
  // The SDK's own attributes, ours, then OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES over them.
  const resource = resources
    .defaultResource()
    .merge(
      resources.resourceFromAttributes({
        'service.name': 'uxmate-sessions',
        ...(options.version && { 'service.version': options.version }),
      }),
    )
    .merge(
      resources.detectResources({
        detectors: [resources.hostDetector, resources.processDetector, resources.envDetector],
      }),
    )
  // The host detector reads the machine id in the background; until it has, every span ending
  // waits in its processor for the resource. Starting once it is there exports spans as they end.
  await resource.waitForAsyncAttributes?.()
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors })
  // The AsyncLocalStorage context manager and the W3C trace-context and baggage propagators.
  provider.register()
  const tracer = trace.getTracer(TRACER_NAME, options.version)
  return {
    runs: tracedRuns(tracer),
    shutdown: () => provider.shutdown(),
  }
}

/** Each run as an `invoke_agent` span of its own trace, linked to the request that started it. */
function tracedRuns(tracer: Tracer): RunObserver {
  return {
    run(agentId, body) {
      // A run outlives the request that started it: a root of its own, linked to it.
      const started = trace.getActiveSpan()
      const links: Link[] = started ? [{ context: started.spanContext() }] : []
      return tracer.startActiveSpan(
        `invoke_agent ${agentId}`,
        {
          kind: SpanKind.INTERNAL,
          root: true,
          links,
          attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.id': agentId },
        },
        async (span) => {
          const observation: RunObservation = {
            firstChunk: () => span.addEvent('first_token'),
            ended: (outcome, calls) => {
              let input = 0
              let output = 0
              for (const call of calls) {
                input += call.usage.inputTokens
                output += call.usage.outputTokens
              }
              span.setAttributes({
                'uxmate.run.outcome': outcome,
                'gen_ai.usage.input_tokens': input,
                'gen_ai.usage.output_tokens': output,
              })
              // A cancel is the user's choice, not an error.
              if (outcome !== 'completed' && outcome !== 'cancelled')
                span.setStatus({ code: SpanStatusCode.ERROR, message: outcome })
            },
          }
          try {
            return await body(observation)
          } finally {
            span.end()
          }
        },
      )
    },
  }
}

/** The store's methods that are not calls to the database. */
const UNTRACED = new Set(['changes'])

/**
 * The store with a client span around each of its calls (and its idempotency store's), a child
 * of whatever span is current: the request's, or the run's.
 *
 * @example
 * ```ts
 * const store = tracedStore(opened, 'sqlite')
 * ```
 */
export function tracedStore(store: SessionStore, system: 'sqlite' | 'postgresql'): SessionStore {
  const tracer = trace.getTracer(TRACER_NAME)
  const wrap = <T extends object>(target: T, prefix: string): T => {
    const traced: Record<string, unknown> = {}
    for (const [name, value] of Object.entries(target)) {
      if (UNTRACED.has(name)) traced[name] = value
      else if (typeof value === 'function')
        traced[name] = (...args: unknown[]) => {
          const span = tracer.startSpan(`${prefix}${name}`, {
            kind: SpanKind.CLIENT,
            attributes: { 'db.system.name': system, 'db.operation.name': `${prefix}${name}` },
          })
          const settle = (error?: unknown) => {
            if (error !== undefined) {
              span.recordException(error instanceof Error ? error : String(error))
              span.setStatus({ code: SpanStatusCode.ERROR })
            }
            span.end()
          }
          try {
            const result = context.with(trace.setSpan(context.active(), span), () =>
              (value as (...a: unknown[]) => unknown).apply(target, args),
            )
            if (result instanceof Promise) {
              result.then(() => settle(), settle)
              return result
            }
            settle()
            return result
          } catch (error) {
            settle(error)
            throw error
          }
        }
      else if (name === 'idempotency' && value && typeof value === 'object')
        traced[name] = wrap(value, 'idempotency.')
      else traced[name] = value
    }
    return traced as T
  }
  return wrap(store, 'store.')
}
