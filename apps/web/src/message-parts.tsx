import type { UxmateClient } from '@uxmate/client'
import type { UIMessage } from 'ai'
import { FileIcon } from './icons.tsx'

interface PartsProps {
  client: UxmateClient
  parts: UIMessage['parts']
  onError(error: unknown): void
}

/** A stored file's path: `/sessions/{session_id}/files/{file_id}`. */
const STORED_FILE = /^\/sessions\/([^/]+)\/files\/([^/]+)$/

/** Saves a blob under its name, as a download. */
function save(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = name
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A message's text and files; a stored file downloads through the client (with the key). */
export function MessageParts({ client, parts, onError }: PartsProps) {
  return (
    <>
      {parts.map((part, index) => {
        if (part.type === 'text')
          return (
            <p key={index} className="text">
              {part.text}
            </p>
          )
        if (part.type !== 'file') return null
        const name = part.filename ?? 'file'
        const stored = STORED_FILE.exec(part.url)
        const download = async () => {
          try {
            if (!stored) return save(await (await fetch(part.url)).blob(), name)
            save(await client.sessions.getSessionFile(stored[1] ?? '', stored[2] ?? ''), name)
          } catch (error) {
            onError(error)
          }
        }
        return (
          <button
            key={index}
            type="button"
            className="file"
            onClick={download}
            title={`Download ${name}`}
            aria-label={`Download ${name}`}
          >
            <FileIcon /> {name}
          </button>
        )
      })}
    </>
  )
}
