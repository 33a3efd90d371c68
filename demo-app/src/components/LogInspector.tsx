import { useState } from 'react'
import { LogView } from './LogView'

/** A developer panel: the local event log and where each projection stands. Subscribes only while open. */
export function LogInspector() {
  const [open, setOpen] = useState(false)
  return (
    <details className="inspector" data-testid="log-inspector" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <span>Event log</span>
        <span className="inspector-hint">developer panel</span>
      </summary>
      {open && <LogView />}
    </details>
  )
}
