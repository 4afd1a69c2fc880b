/**
 * AbortSignal plumbing shared by the transport, `waitForSession` and the retry back-off.
 */
import { UxmateTimeoutError } from './errors.ts'

/**
 * A signal that aborts when `parent` does (with the parent's reason) or when `timeoutMs` runs
 * out (with a `UxmateTimeoutError`). Without a usable `timeoutMs` it is `parent` itself.
 *
 * Hand-rolled rather than `AbortSignal.any`, because the timeout's reason must be our error:
 * fetch rejects with the signal's reason, also while the body is read, so a deadline that
 * strikes anywhere surfaces as a `UxmateTimeoutError` instead of a bare `DOMException`.
 * `AbortSignal.timeout` keeps no Node process alive and needs no clean-up once the body is read.
 */
export function withDeadline(
  parent: AbortSignal | undefined,
  timeoutMs: number | undefined,
  message?: string,
): AbortSignal {
  const root = parent ?? new AbortController().signal
  if (timeoutMs === undefined || !Number.isFinite(timeoutMs) || timeoutMs <= 0) return root
  const controller = new AbortController()
  const abort = (reason: unknown) => {
    if (!controller.signal.aborted) controller.abort(reason)
  }
  // `signal: controller.signal` removes both listeners once either has fired.
  const listen = { once: true, signal: controller.signal }
  if (root.aborted) abort(root.reason)
  else root.addEventListener('abort', () => abort(root.reason), listen)
  AbortSignal.timeout(timeoutMs).addEventListener(
    'abort',
    () => abort(new UxmateTimeoutError(timeoutMs, message)),
    listen,
  )
  return controller.signal
}

/** Settles like `promise`, or rejects with `signal.reason` as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  // A custom `fetch` may ignore the signal; racing it keeps the deadline honest anyway.
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/** Waits `ms`, or rejects with `signal.reason` if `signal` aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason)
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
