import { MAX_NAME_LENGTH, nameProblem } from '@cairn/example-kanban/members'
import { useCairn } from '@cairn/react'
import { type FormEvent, useId, useState } from 'react'
import { useJoinedBoards } from '../hooks/use-boards'
import { useUser } from '../hooks/use-user'
import { setForgetting, setUserName, startNewUser } from '../user'

type ForgetState =
  | { step: 'idle' }
  | { step: 'confirm' }
  | { step: 'forgetting' }
  | { step: 'done'; forgotten: string[]; failed: { board: string; message: string }[] }

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

/**
 * The user menu (top right): your name (change it), "Download my data" (`exportPersonalData`: every personal
 * field of yours this device can read, as JSON) and "Forget me" (`forgetSubject` on every board this device
 * joined: the server destroys your key there, every device erases your name when it syncs, and this browser
 * starts over as a new user).
 */
export function UserMenu() {
  const cairn = useCairn()
  const user = useUser()
  const boards = useJoinedBoards()
  const [open, setOpen] = useState(false)
  const [name, setName] = useState<string | null>(null)
  const [forget, setForget] = useState<ForgetState>({ step: 'idle' })
  const [exportError, setExportError] = useState<string | null>(null)
  const panel = useId()
  const editing = name ?? user.name ?? ''
  const problem = editing.trim() === '' ? null : nameProblem(editing)

  const rename = (event: FormEvent) => {
    event.preventDefault()
    if (editing.trim() === '' || problem) return
    setUserName(editing)
    setName(null)
  }

  const download = async () => {
    setExportError(null)
    try {
      const data = await cairn.exportPersonalData(user.id)
      // The display name this browser keeps (localStorage) is personal data too.
      const file = { ...data, thisBrowser: { userId: user.id, name: user.name } }
      const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: 'application/json' }))
      const link = document.createElement('a')
      link.href = url
      link.download = `cairn-demo-my-data-${new Date(data.exportedAt).toISOString().slice(0, 10)}.json`
      link.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    } catch (error) {
      setExportError(message(error))
    }
  }

  const forgetMe = async () => {
    setForget({ step: 'forgetting' })
    setForgetting(true)
    const forgotten: string[] = []
    const failed: { board: string; message: string }[] = []
    try {
      // One board at a time, to say where it worked: a board whose server cannot be reached now can be retried.
      for (const board of boards) {
        try {
          await cairn.forgetSubject(user.id, { spaces: [board] })
          forgotten.push(board)
        } catch (error) {
          failed.push({ board, message: message(error) })
        }
      }
      // Forgotten everywhere it was asked: this browser starts over as a new user (new id, no name).
      if (failed.length === 0) startNewUser()
    } finally {
      setForgetting(false)
    }
    setName(null)
    setForget({ step: 'done', forgotten, failed })
  }

  return (
    <div className="user-menu">
      <button
        type="button"
        className="user-button"
        data-testid="user-menu"
        aria-expanded={open}
        aria-controls={panel}
        onClick={() => setOpen(!open)}
      >
        <span className="user-avatar" aria-hidden="true">
          {(user.name ?? '?').slice(0, 1).toUpperCase()}
        </span>
        {user.name ?? 'Set your name'}
      </button>
      {open && (
        <div className="user-panel" id={panel} data-testid="user-panel">
          <form className="user-rename" onSubmit={rename}>
            <label htmlFor={`${panel}-name`}>Your name</label>
            <div className="user-row">
              <input
                id={`${panel}-name`}
                data-testid="user-name-input"
                autoComplete="name"
                maxLength={MAX_NAME_LENGTH}
                value={editing}
                onChange={(e) => setName(e.target.value)}
              />
              <button
                type="submit"
                data-testid="user-name-save"
                disabled={editing.trim() === '' || problem !== null || editing.trim() === user.name}
              >
                Save
              </button>
            </div>
            <p className="field-help">Shown on the boards you open and the cards you add.</p>
          </form>
          <div className="user-actions">
            <button type="button" data-testid="download-my-data" onClick={() => void download()}>
              Download my data
            </button>
            <button
              type="button"
              className="danger"
              data-testid="forget-me"
              disabled={forget.step === 'forgetting'}
              onClick={() => setForget({ step: 'confirm' })}
            >
              Forget me
            </button>
          </div>
          {exportError !== null && (
            <p className="user-error" role="alert" data-testid="download-failed">
              Could not export your data: {exportError}
            </p>
          )}
          {forget.step === 'confirm' && (
            <div className="forget-confirm" role="alertdialog" aria-labelledby={`${panel}-forget`}>
              <p id={`${panel}-forget`}>
                <strong>
                  Forget you on {boards.length === 1 ? 'the 1 board' : `all ${boards.length} boards`} this browser
                  joined?
                </strong>{' '}
                The server destroys your key: your name becomes “(forgotten)” on every device, for good, as each one
                syncs. Your cards stay, without your name. This browser then starts over as a new user.
              </p>
              <button type="button" className="danger" data-testid="forget-confirm" onClick={() => void forgetMe()}>
                Forget me for good
              </button>
              <button type="button" data-testid="forget-cancel" onClick={() => setForget({ step: 'idle' })}>
                Cancel
              </button>
            </div>
          )}
          {forget.step === 'forgetting' && (
            <p className="forget-result" data-testid="forget-result" data-state="forgetting">
              Forgetting you…
            </p>
          )}
          {forget.step === 'done' && <ForgetResult forgotten={forget.forgotten} failed={forget.failed} />}
        </div>
      )}
    </div>
  )
}

function ForgetResult({ forgotten, failed }: { forgotten: string[]; failed: { board: string; message: string }[] }) {
  const boards = (list: string[]) => list.map((b) => `“${b}”`).join(', ')
  return (
    <div
      className={`forget-result${failed.length > 0 ? ' forget-result-partial' : ''}`}
      role="status"
      data-testid="forget-result"
      data-state={failed.length > 0 ? 'partial' : 'done'}
      data-forgotten={forgotten.length}
    >
      {forgotten.length > 0 ? (
        <p>
          Forgotten on {forgotten.length === 1 ? '1 board' : `${forgotten.length} boards`}: {boards(forgotten)}. Your
          name now reads “(forgotten)” there, on every device as it syncs.
        </p>
      ) : failed.length === 0 ? (
        <p>This browser joined no board: there was nothing to forget on the server.</p>
      ) : null}
      {failed.length > 0 ? (
        <>
          <p>Not forgotten yet (try again when the server can be reached):</p>
          <ul>
            {failed.map((f) => (
              <li key={f.board}>
                “{f.board}”: {f.message}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p>This browser forgot your name and id: you start over as a new user.</p>
      )}
    </div>
  )
}
