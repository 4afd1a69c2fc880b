/** Request media types, as the body readers compare them. */

/**
 * The media type of a `Content-Type` value: lowercase, without parameters; `''` when absent.
 *
 * @example
 * ```ts
 * mediaTypeOf('Application/JSON; charset=utf-8') // 'application/json'
 * ```
 */
export function mediaTypeOf(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}
