import { useCairn, useSyncStatus } from '@cairn/react'
import { localRejections, useLocalRejections } from '../hooks/local-rejections'
import { RejectionItem } from './RejectionItem'

/** Commands that did not stand: at once (a full column) or when sync re-ran them on the server's log. */
export function RejectionsPanel({ board }: { board: string | null }) {
  const fromSync = useSyncStatus((s) => s.rejected)
  const local = useLocalRejections()
  const cairn = useCairn()
  const synced = new Set(fromSync.map((r) => r.commandId))
  const shown = [
    ...fromSync.map((rejection) => ({ rejection, whileSyncing: true })),
    ...local.filter((r) => !synced.has(r.commandId)).map((rejection) => ({ rejection, whileSyncing: false })),
  ].sort((a, b) => b.rejection.at - a.rejection.at)

  const dismiss = (commandId: string, whileSyncing: boolean) => {
    localRejections.dismiss(commandId)
    if (whileSyncing) void cairn.dismissRejected(commandId)
  }

  return (
    <aside className={`rejections${shown.length > 0 ? '' : ' rejections-empty'}`} aria-live="polite">
      {shown.length > 0 && <h2>Not applied ({shown.length})</h2>}
      <ul data-testid="rejections">
        {shown.map(({ rejection, whileSyncing }) => (
          <RejectionItem
            key={rejection.commandId}
            board={board}
            rejection={rejection}
            whileSyncing={whileSyncing}
            onDismiss={() => dismiss(rejection.commandId, whileSyncing)}
          />
        ))}
      </ul>
    </aside>
  )
}
