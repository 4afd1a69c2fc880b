/**
 * Requests about runs that go to whichever instance runs them: with several instances on one
 * database, a cancel can arrive at another instance than the run's. Behind an interface so that
 * one process needs nothing, and several use PostgreSQL NOTIFY.
 */
export interface RunControl {
  /** Asks the instance that runs the session's run (any, this one included) to cancel it. */
  requestCancel(sessionId: string): Promise<void>
  /** `handler` is called with the session of every cancel request, from any instance. */
  onCancel(handler: (sessionId: string) => void): void
}
