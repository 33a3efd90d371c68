import { type FormEvent, useRef, useState } from 'react'
import { isBoardName } from '../config'
import { offerPassphrase } from '../encrypted-boards'
import { useJoinedBoards } from '../hooks/use-boards'
import type { Navigate } from '../hooks/use-route'
import { generatePassphrase } from '../passphrase'
import { MIN_PASSPHRASE, PassphraseField } from './PassphraseField'

/**
 * "New board": a name, and optionally end-to-end encryption with a passphrase (a strong random one by default).
 * An encrypted board is joined with the passphrase's key (`joinSpace(board, { encryption })`): the server holds
 * its name and ciphertext only.
 */
export function NewBoard({ navigate }: { navigate: Navigate }) {
  const dialog = useRef<HTMLDialogElement>(null)
  const joined = useJoinedBoards()
  const [name, setName] = useState('')
  const [encrypt, setEncrypt] = useState(false)
  const [passphrase, setPassphrase] = useState('')
  const board = name.trim()
  const taken = joined.includes(board)
  const valid = isBoardName(board) && !taken && (!encrypt || passphrase.trim().length >= MIN_PASSPHRASE)

  const show = () => {
    setName('')
    setEncrypt(false)
    setPassphrase(generatePassphrase())
    dialog.current?.showModal()
  }

  const create = (event: FormEvent) => {
    event.preventDefault()
    if (!valid) return
    // Joining the board (on navigation) derives its key from the passphrase and hands it to the runtime.
    if (encrypt) offerPassphrase(board, passphrase.trim())
    dialog.current?.close()
    navigate({ view: 'board', board })
  }

  return (
    <>
      <button type="button" className="boardbar-new" data-testid="new-board" onClick={show}>
        + New board
      </button>
      <dialog ref={dialog} className="new-board" aria-labelledby="new-board-title" data-testid="new-board-dialog">
        <form onSubmit={create}>
          <h2 id="new-board-title">New board</h2>
          <label htmlFor="new-board-name">Name</label>
          <input
            id="new-board-name"
            data-testid="new-board-name"
            autoComplete="off"
            spellCheck={false}
            value={name}
            aria-describedby="new-board-name-help"
            onChange={(e) => setName(e.target.value)}
          />
          <p id="new-board-name-help" className="field-help">
            {taken
              ? `This device already has “${board}”.`
              : 'Letters, digits, - and _ (up to 64). The server sees the name, even of an encrypted board.'}
          </p>
          <label className="checkbox">
            <input
              type="checkbox"
              data-testid="new-board-encrypt"
              checked={encrypt}
              onChange={(e) => setEncrypt(e.target.checked)}
            />
            Encrypt end to end
          </label>
          {encrypt && <PassphraseField value={passphrase} onChange={setPassphrase} />}
          <div className="dialog-actions">
            <button type="button" className="ghost" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
            <button type="submit" data-testid="new-board-create" disabled={!valid}>
              Create board
            </button>
          </div>
        </form>
      </dialog>
    </>
  )
}
