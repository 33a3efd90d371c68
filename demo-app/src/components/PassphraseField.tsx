import { generatePassphrase } from '../passphrase'

/** Shorter passphrases are refused: the key can be guessed offline from anything the server holds. */
export const MIN_PASSPHRASE = 12

/** A board's passphrase: generated (128 random bits), editable, shown in clear so it can be written down. */
export function PassphraseField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const short = value.trim().length < MIN_PASSPHRASE
  return (
    <div className="passphrase-field">
      <label htmlFor="new-board-passphrase">Passphrase</label>
      <div className="passphrase-row">
        <input
          id="new-board-passphrase"
          data-testid="new-board-passphrase"
          autoComplete="off"
          spellCheck={false}
          value={value}
          aria-invalid={short}
          aria-describedby="new-board-passphrase-help"
          onChange={(e) => onChange(e.target.value)}
        />
        <button type="button" data-testid="new-board-generate" onClick={() => onChange(generatePassphrase())}>
          New
        </button>
      </div>
      <p id="new-board-passphrase-help" className="field-help">
        {short
          ? `At least ${MIN_PASSPHRASE} characters.`
          : 'Anyone with it can read the board; the server never sees it. This device keeps the board’s key, not the passphrase: write it down, or share the board from this tab.'}
      </p>
    </div>
  )
}
