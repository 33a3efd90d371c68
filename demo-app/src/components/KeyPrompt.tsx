import { useCairn } from '@cairn/react'
import { type FormEvent, useState } from 'react'
import { joinBoard } from '../hooks/use-boards'
import { useKeyError } from '../hooks/use-encryption'
import { boardKey, type KeyErrorCode } from '../passphrase'
import { LockIcon } from './LockIcon'

const WHY: Record<KeyErrorCode, string> = {
  KEY_MISSING: 'This board is end-to-end encrypted, and this device does not have its key.',
  DECRYPT_FAILED: 'Changes to this board could not be decrypted with the key this device has.',
  NOT_ENCRYPTED: 'A change arrived unencrypted on this encrypted board, and was refused.',
}

type Step =
  | { step: 'idle' }
  | { step: 'checking' }
  /** Given to the runtime: the board catches up, or the next pull names the key it needs. */
  | { step: 'tried'; keyId: string }
  | { step: 'wrong' }
  | { step: 'failed'; message: string }

/**
 * Shown while the board's events wait for a key (its space's `lastError`: `KEY_MISSING`, `DECRYPT_FAILED`,
 * `NOT_ENCRYPTED`), with a passphrase field (not for `NOT_ENCRYPTED`: no key helps). When the waiting event
 * names its key, a passphrase that derives another one is refused here, before it reaches the runtime (which
 * would seal this device's next changes with it); the right one is handed to `joinSpace` and the board catches
 * up at once, with no reload.
 */
export function KeyPrompt({ board }: { board: string }) {
  const cairn = useCairn()
  const held = useKeyError(board)
  const [passphrase, setPassphrase] = useState('')
  const [state, setState] = useState<Step>({ step: 'idle' })
  if (held === null) return null

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    const typed = passphrase.trim()
    if (typed === '') return
    setState({ step: 'checking' })
    try {
      const key = await boardKey(board, typed)
      if (held.kid !== null && held.kid !== key.id) return setState({ step: 'wrong' })
      await joinBoard(cairn, board, typed)
      setPassphrase('')
      setState({ step: 'tried', keyId: key.id })
      // The syncing tab may be waiting out a back-off: read the board now.
      await cairn.syncNow().catch(() => {
        // still waiting (the prompt stays) or offline (sync retries by itself)
      })
    } catch (error) {
      setState({ step: 'failed', message: error instanceof Error ? error.message : String(error) })
    }
  }

  const wrong = state.step === 'wrong' || (state.step === 'tried' && held.kid !== null && held.kid !== state.keyId)
  const problem = wrong ? `This passphrase does not open “${board}”.` : null
  const failed = state.step === 'failed' ? `Could not use this passphrase: ${state.message}` : null
  return (
    <form
      className="key-prompt"
      data-testid="key-prompt"
      data-code={held.code}
      aria-labelledby="key-prompt-text"
      onSubmit={(e) => void submit(e)}
    >
      <p id="key-prompt-text">
        <LockIcon /> <strong>{WHY[held.code]}</strong>{' '}
        {held.code === 'NOT_ENCRYPTED'
          ? 'This device applies nothing more of the board until its changes arrive encrypted.'
          : 'Its cards stay hidden here until you enter the board’s passphrase (ask whoever shared it with you).'}
      </p>
      {held.code !== 'NOT_ENCRYPTED' && (
        <>
          <label htmlFor="key-input" className="sr-only">
            Passphrase of “{board}”
          </label>
          <input
            id="key-input"
            type="password"
            data-testid="key-input"
            placeholder="Passphrase"
            autoComplete="off"
            spellCheck={false}
            aria-invalid={wrong}
            aria-describedby={problem || failed ? 'key-error' : undefined}
            value={passphrase}
            onChange={(e) => {
              setPassphrase(e.target.value)
              if (state.step === 'wrong' || state.step === 'failed') setState({ step: 'idle' })
            }}
          />
          <button
            type="submit"
            data-testid="key-submit"
            disabled={passphrase.trim() === '' || state.step === 'checking'}
          >
            {state.step === 'checking' ? 'Unlocking…' : 'Unlock'}
          </button>
        </>
      )}
      {(problem || failed) && (
        <p id="key-error" className="key-error" role="alert" data-testid={problem ? 'key-wrong' : 'key-failed'}>
          {problem ?? failed}
        </p>
      )}
    </form>
  )
}
