import { useCairn, useSyncStatus } from '@cairn/react'
import { useState } from 'react'

/** Pauses sync (the app keeps working on its local database) and resumes it; the runtime remembers it. */
export function OfflineSwitch() {
  const cairn = useCairn()
  const paused = useSyncStatus((s) => s.paused)
  const syncEnabled = useSyncStatus((s) => s.syncEnabled)
  // The user's choice shows at once; it gives way as soon as the runtime's status changes.
  const [wanted, setWanted] = useState<{ offline: boolean; whilePaused: boolean } | null>(null)
  const checked = wanted !== null && wanted.whilePaused === paused ? wanted.offline : paused

  const toggle = (offline: boolean) => {
    setWanted({ offline, whilePaused: paused })
    const done = offline ? cairn.pauseSync() : cairn.resumeSync()
    done.catch((error: unknown) => {
      console.error('Could not switch sync', error)
      setWanted(null)
    })
  }

  return (
    <label className="switch" title={syncEnabled ? 'Pause sync: changes stay on this device' : 'Sync is off'}>
      <input
        type="checkbox"
        role="switch"
        aria-checked={checked}
        data-testid="offline-switch"
        checked={checked}
        disabled={!syncEnabled}
        onChange={(e) => toggle(e.target.checked)}
      />
      <span>Work offline</span>
    </label>
  )
}
