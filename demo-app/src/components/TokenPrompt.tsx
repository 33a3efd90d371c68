import { useSyncStatus } from '@cairn/react'
import { type FormEvent, useState } from 'react'
import { saveToken } from '../config'

/** Asks for a token when the server refuses this board's space (401 / 403); saving it reconnects. */
export function TokenPrompt({ board }: { board: string }) {
  const lastError = useSyncStatus((s) => s.lastError)
  const [token, setToken] = useState('')
  const [dismissed, setDismissed] = useState(false)
  const code = lastError?.code
  if (dismissed || (code !== 'UNAUTHORIZED' && code !== 'FORBIDDEN')) return null

  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (token.trim() === '') return
    saveToken(board, token.trim())
    window.location.reload() // the worker reads its token once, at start
  }

  return (
    <form className="token-prompt" data-testid="token-prompt" onSubmit={submit}>
      <p>
        <strong>
          {code === 'UNAUTHORIZED' ? 'This server needs a token.' : 'This token does not open this board.'}
        </strong>{' '}
        Your changes to “{board}” are kept on this device until it can sync.
      </p>
      <input
        type="password"
        data-testid="token-input"
        aria-label="Token"
        placeholder="Token"
        autoComplete="off"
        value={token}
        onChange={(e) => setToken(e.target.value)}
      />
      <button type="submit" data-testid="token-submit" disabled={token.trim() === ''}>
        Save and sync
      </button>
      <button type="button" className="ghost" onClick={() => setDismissed(true)}>
        Later
      </button>
    </form>
  )
}
