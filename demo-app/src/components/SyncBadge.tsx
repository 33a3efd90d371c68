import { useSyncStatus } from '@cairn/react'
import { badgeLabel, badgeState } from '../sync-state'

export function SyncBadge() {
  const online = useSyncStatus((s) => s.online)
  const pending = useSyncStatus((s) => s.pending)
  const syncEnabled = useSyncStatus((s) => s.syncEnabled)
  const paused = useSyncStatus((s) => s.paused)
  const connected = useSyncStatus((s) => s.connected)
  const syncing = useSyncStatus((s) => s.syncing)
  const lastError = useSyncStatus((s) => s.lastError)
  const lastSyncedAt = useSyncStatus((s) => s.lastSyncedAt)
  const leader = useSyncStatus((s) => s.leader)
  const state = badgeState({ online, pending, syncEnabled, paused, connected, syncing, lastError })
  const details = [
    lastError ? `${lastError.code}: ${lastError.message}` : null,
    lastSyncedAt ? `Last synced ${new Date(lastSyncedAt).toLocaleTimeString()}` : 'Not synced yet',
  ]
  return (
    <output
      className={`badge badge-${state}`}
      data-testid="sync-badge"
      data-state={state}
      data-pending={pending}
      data-leader={leader}
      title={details.filter(Boolean).join('\n')}
    >
      <span className="badge-dot" aria-hidden="true" />
      {badgeLabel(state, pending, syncEnabled)}
    </output>
  )
}
