import { stringify } from 'yaml'
import { newApiKey, OWNER_PATTERN } from './api-keys.ts'

/**
 * A new API key for `owner`, and the text that hands it out: the key (shown this once, never
 * stored) and the YAML entry to add to the keys file (its hash only). Throws for a name
 * `loadApiKeys` would refuse.
 *
 * @example
 * ```ts
 * const { key, entryYaml } = mintApiKey('team-a')
 * // entryYaml: "- owner: team-a\n  sha256: 5f1c…\n"
 * ```
 */
export function mintApiKey(owner: string): { key: string; entryYaml: string; text: string } {
  if (!OWNER_PATTERN.test(owner))
    throw new Error(
      `The owner must be 1 to 128 letters, digits, '_', '.', '@' or '-', got '${owner}'`,
    )
  const { key, entry } = newApiKey(owner)
  const entryYaml = stringify([entry])
  const text = [
    `API key for ${owner}; it is shown only now, so store it where it is needed:`,
    '',
    `  ${key}`,
    '',
    'Add this entry to the API keys file (API_KEYS_FILE), then restart the server:',
    '',
    entryYaml,
  ].join('\n')
  return { key, entryYaml, text }
}
