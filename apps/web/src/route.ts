import { useEffect, useState } from 'react'

/** Which chat is open: `#/chat/<id>` (a reload reopens it), or none (the agent picker). */
export function useOpenChat(): [string | undefined, (id: string | undefined) => void] {
  // Any id the contract allows (ResourceId): sessions imported from elsewhere open too.
  const read = () =>
    /^#\/chat\/([A-Za-z0-9_~:-][A-Za-z0-9._~:-]{0,127})$/.exec(window.location.hash)?.[1]
  const [chatId, setChatId] = useState(read)
  useEffect(() => {
    const onChange = () => setChatId(read())
    window.addEventListener('hashchange', onChange)
    return () => window.removeEventListener('hashchange', onChange)
  }, [])
  const open = (id: string | undefined) => {
    window.location.hash = id ? `#/chat/${id}` : '#/'
  }
  return [chatId, open]
}
