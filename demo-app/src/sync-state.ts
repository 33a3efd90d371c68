/** What the sync badge shows. */
export type BadgeState = 'online' | 'offline' | 'syncing' | 'pending' | 'error' | 'paused'

export interface BadgeInput {
  online: boolean
  pending: number
  syncEnabled: boolean
  paused: boolean
  connected: boolean
  syncing: boolean
  lastError: { code: string; message: string } | null
}

/** The user's choice first, then what the network allows, then what sync is doing. */
export function badgeState(s: BadgeInput): BadgeState {
  if (s.paused) return 'paused'
  if (!s.online || !s.syncEnabled) return 'offline'
  if (s.lastError) return 'error'
  if (s.syncing) return 'syncing'
  if (s.pending > 0) return 'pending'
  if (!s.connected) return 'offline'
  return 'online'
}

export function badgeLabel(state: BadgeState, pending: number, syncEnabled: boolean): string {
  const unsynced = pending > 0 ? ` · ${pending} pending` : ''
  switch (state) {
    case 'paused':
      return `Working offline${unsynced}`
    case 'offline':
      return `${syncEnabled ? 'Offline' : 'Local only'}${unsynced}`
    case 'error':
      return `Sync error${unsynced}`
    case 'syncing':
      return 'Syncing…'
    case 'pending':
      return `${pending} pending`
    case 'online':
      return 'Online · synced'
  }
}
