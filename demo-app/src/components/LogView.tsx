import { useLog } from '../hooks/use-log'
import { EventRow } from './EventRow'

const LIMIT = 100

export function LogView() {
  const log = useLog(LIMIT)
  if (!log) return <p className="inspector-note">Reading the log…</p>
  const pending = log.events.filter((e) => e.pending).length
  return (
    <div className="inspector-body">
      <p className="inspector-summary">
        Local log <b>{log.head}</b> events · pulled from the server up to seq <b>{log.cursor}</b> · {pending} of the
        last {log.events.length} events pending
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
