import { MAX_NAME_LENGTH, nameProblem } from '@cairn/example-kanban/members'
import { type FormEvent, useState } from 'react'
import { useNameLater, useUser } from '../hooks/use-user'
import { setNameLater, setUserName } from '../user'

/**
 * First use: asks for the name the people on your boards will see. Not a modal: the board stays usable
 * ("Not now" hides it for this tab; the user menu sets the name any time). Keyed by the user id: a user who was
 * forgotten starts over with an empty field, never the old name.
 */
export function NamePrompt() {
  return <NameForm key={useUser().id} />
}

function NameForm() {
  const user = useUser()
  const later = useNameLater()
  const [name, setName] = useState('')
  if (user.name !== null || later) return null
  const problem = name.trim() === '' ? null : nameProblem(name)

  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (name.trim() === '' || problem) return
    setUserName(name)
    setName('')
  }

  return (
    <form className="name-prompt" data-testid="name-prompt" onSubmit={submit}>
      <label htmlFor="name-prompt-input">
        <strong>Welcome!</strong> What name should the people on your boards see?
      </label>
      <input
        id="name-prompt-input"
        data-testid="name-input"
        autoComplete="name"
        maxLength={MAX_NAME_LENGTH}
        placeholder="Your name"
        value={name}
        onChange={(e) => setName(e.target.value)}
      />
      <button type="submit" data-testid="name-save" disabled={name.trim() === '' || problem !== null}>
        Save
      </button>
      <button type="button" className="link-button" data-testid="name-later" onClick={setNameLater}>
        Not now
      </button>
      <p className="field-help">
        It is shown on the boards you open and on the cards you add. It is personal data: it travels and is kept on the
        server encrypted with a key of yours, and “Forget me” (top right) erases it everywhere.
      </p>
    </form>
  )
}
