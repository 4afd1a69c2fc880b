import type { SessionError } from '@uxmate/contract'

/**
 * The ways a model provider can fail a reply, each shown to API users with one fixed message
 * (`AGENT_FAILURE_MESSAGES`). What the provider said (its JSON body, an internal address such as
 * `ECONNREFUSED 10.0.0.7:11434`) is the error's `message`, for the server log only.
 */
export type AgentFailureKind =
  | 'timeout'
  | 'rate_limited'
  | 'context_too_long'
  | 'unavailable'
  | 'unreachable'
  | 'refused'
  | 'broke_off'

/** What `session.error.message` says for each kind (after "The agent failed: "). */
export const AGENT_FAILURE_MESSAGES: Record<AgentFailureKind, string> = {
  timeout: 'the model provider did not answer in time',
  rate_limited: 'the model provider is rate limiting requests; try again later',
  context_too_long: 'the conversation is too long for the model',
  unavailable: 'the model provider is unavailable; try again later',
  unreachable: 'the model provider could not be reached',
  refused: 'the model provider refused the request',
  broke_off: "the model provider's reply broke off",
}

/** What a failure of any other kind shows: an agent's own errors may hold anything too. */
const UNKNOWN_FAILURE = 'The agent failed'

/**
 * An agent's failure of a known kind. `message` holds the details (for the log); users see the
 * kind's fixed message.
 *
 * @example
 * ```ts
 * throw new AgentFailure('unreachable', 'connect ECONNREFUSED 10.0.0.7:11434')
 * ```
 */
export class AgentFailure extends Error {
  constructor(
    readonly kind: AgentFailureKind,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(detail, options)
    this.name = 'AgentFailure'
  }
}

/**
 * The `agent_error` a session shows for a failed reply: the fixed message of its kind, never the
 * error's own text (which the caller logs).
 *
 * @example
 * ```ts
 * agentError(new AgentFailure('rate_limited', '429 Rate limit reached for org-123'))
 * // { code: 'agent_error', message: 'The agent failed: the model provider is rate limiting ...' }
 * ```
 */
export function agentError(cause: unknown): SessionError {
  const message =
    cause instanceof AgentFailure
      ? `${UNKNOWN_FAILURE}: ${AGENT_FAILURE_MESSAGES[cause.kind]}`
      : UNKNOWN_FAILURE
  return { code: 'agent_error', message }
}
