import { useId, useState } from 'react'
import { useEncrypted, useKeyError, usePassphrase } from '../hooks/use-encryption'
import { shareLink } from '../share-link'

/**
 * "Share": the link that opens this board on another device. An encrypted board's link carries its passphrase
 * after `#` when this tab knows it (it created or unlocked the board since the page loaded); the fragment is
 * never sent to a server. Without it, the link opens the board locked and the other person types the passphrase.
 */
export function ShareBoard({ board }: { board: string }) {
  const [open, setOpen] = useState(false)
  const [copied, setCopied] = useState(false)
  const encrypted = useEncrypted(board)
  // While the board waits for a key, the passphrase this tab tried may be a wrong one: never share it.
  const locked = useKeyError(board) !== null
  const passphrase = usePassphrase(board)
  const panel = useId()
  const shared = encrypted && !locked ? passphrase : null
  const link = shareLink(window.location.href, board, shared)

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link)
      setCopied(true)
    } catch {
      // no clipboard permission: the field is selected, ready to copy by hand
      document.getElementById(`${panel}-link`)?.focus()
    }
  }

  return (
    <div className="share">
      <button
        type="button"
        data-testid="share-board"
        aria-expanded={open}
        aria-controls={panel}
        onClick={() => {
          setOpen(!open)
          setCopied(false)
        }}
      >
        Share
      </button>
      {open && (
        <div className="share-panel" id={panel} data-testid="share-panel">
          <label htmlFor={`${panel}-link`}>Link to “{board}”</label>
          <div className="share-row">
            <input
              id={`${panel}-link`}
              data-testid="share-link"
              readOnly
              value={link}
              onFocus={(e) => e.target.select()}
            />
            <button type="button" data-testid="share-copy" onClick={() => void copy()}>
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
          <p className="share-note" data-testid="share-note">
            {!encrypted
              ? 'Anyone with this link can open the board.'
              : shared !== null
                ? 'The passphrase is in the link, after “#”: browsers never send that part to the server. Anyone with the link can read the board: send it privately.'
                : 'This device keeps the board’s key, not its passphrase: whoever opens this link will be asked for the passphrase. Send it to them separately.'}
          </p>
        </div>
      )}
    </div>
  )
}
