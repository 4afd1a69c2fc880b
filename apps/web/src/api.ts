/**
 * The app's connection to the service: its own origin (the server serves the app, or Vite hands
 * the API paths on to it), and the API key the user entered once, kept in this browser.
 */
import { createUxmateClient, type UxmateClient } from '@uxmate/client'

const KEY_STORAGE = 'uxmate.apiKey'

export function storedApiKey(): string | undefined {
  return localStorage.getItem(KEY_STORAGE) ?? undefined
}

export function storeApiKey(key: string | undefined): void {
  if (key) localStorage.setItem(KEY_STORAGE, key)
  else localStorage.removeItem(KEY_STORAGE)
}

/** A client of the service for the key, if any. */
export function clientFor(apiKey: string | undefined): UxmateClient {
  return createUxmateClient({ baseUrl: window.location.origin, ...(apiKey && { apiKey }) })
}

/** The headers the AI SDK's transport sends (it does not use the client). */
export function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { Authorization: `Bearer ${apiKey}` } : {}
}

/** The browser's time zone, for the sidebar's days. */
export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone
