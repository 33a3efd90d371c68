import { useSyncStatus } from '@cairn/react'
import { useLog } from '../hooks/use-log'
import { EventRow } from './EventRow'

const LIMIT = 100

export function LogView() {
  const log = useLog(LIMIT)
  // Each board (space) has its own server cursor.
  const spaces = useSyncStatus((st) => st.spaces)
  const cursors = Object.entries(spaces).sort(([a], [b]) => a.localeCompare(b))
  if (!log) return <p className="inspector-note">Reading the log…</p>
  const pending = log.events.filter((e) => e.pending).length
  return (
    <div className="inspector-body">
      <p className="inspector-summary">
        Local log <b>{log.head}</b> events · {pending} of the last {log.events.length} events pending
      </p>
      <p className="inspector-summary" data-testid="space-cursors">
        Pulled from the server, per board:{' '}
        {cursors.length === 0
          ? 'no board joined'
          : cursors.map(([space, s], i) => (
              <span key={space}>
                {i > 0 && ' · '}
                {space} up to seq <b>{s.cursor}</b>
                {s.pending > 0 && ` (${s.pending} pending)`}
              </span>
            ))}
      </p>
      <table className="checkpoints" data-testid="checkpoints">
        <thead>
          <tr>
            <th>Projection</th>
            <th>Mode</th>
            <th>Position</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {log.checkpoints.map((c) => (
            <tr key={c.projection} data-testid={`checkpoint-${c.projection}`}>
              <td>{c.projection}</td>
              <td>{c.mode}</td>
              <td>{c.position}</td>
              <td>{c.state}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="events">
        <thead>
          <tr>
            <th>#</th>
            <th>Event</th>
            <th>Stream</th>
            <th>Status</th>
            <th>Data</th>
          </tr>
        </thead>
        <tbody>
          {log.events.map((event) => (
            <EventRow key={event.id} event={event} />
          ))}
        </tbody>
      </table>
      {log.events.length === 0 && <p className="inspector-note">The log is empty.</p>}
    </div>
  )
}
