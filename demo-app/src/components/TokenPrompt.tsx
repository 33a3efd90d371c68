import { useCairn, useSyncStatus } from '@cairn/react'
import { type FormEvent, useState } from 'react'
import { saveToken } from '../config'
import { joinBoard } from '../hooks/use-boards'

/**
 * Asks for a token when the server refuses this board's space (401 / 403). Saving it hands it to the runtime
 * (`joinSpace(board, { token })`, kept in the database for every tab) and syncs at once: no reload.
 */
export function TokenPrompt({ board }: { board: string }) {
  const cairn = useCairn()
  const code = useSyncStatus((s) => s.spaces[board]?.lastError?.code)
  const [token, setToken] = useState('')
  const [dismissed, setDismissed] = useState(false)
  if (dismissed || (code !== 'UNAUTHORIZED' && code !== 'FORBIDDEN')) return null

  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (token.trim() === '') return
    saveToken(board, token.trim())
    setToken('')
    void joinBoard(cairn, board)
      // The syncing tab would retry a refused space only after a long back-off: try the new token now.
      .then(() => cairn.syncNow())
      .catch(() => {
        // still refused (the prompt stays) or offline (sync retries by itself)
      })
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
