import { useState } from 'react'

/** Asks for the API key once (the server answered 401); it is kept in this browser. */
export function KeyPrompt({ onKey }: { onKey(key: string): void }) {
  const [key, setKey] = useState('')
  return (
    <div className="overlay">
      <form
        className="key-prompt"
        onSubmit={(event) => {
          event.preventDefault()
          if (key.trim()) onKey(key.trim())
        }}
      >
        <h2>API key</h2>
        <p>This server needs an API key. It is kept in this browser only.</p>
        <input
          aria-label="API key"
          type="password"
          value={key}
          onChange={(event) => setKey(event.target.value)}
          placeholder="uxm_..."
        />
        <button type="submit">Continue</button>
      </form>
    </div>
  )
}
