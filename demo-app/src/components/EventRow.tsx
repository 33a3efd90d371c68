import type { LogEntry } from '@cairn/core'

export function EventRow({ event }: { event: LogEntry }) {
  const data = JSON.stringify(event.data)
  return (
    <tr data-testid={`log-event-${event.id}`} data-pending={event.pending}>
      <td className="num">{event.position}</td>
      <td>
        <code>{event.type}</code>
      </td>
      <td>
        <code>
          {event.stream}@{event.version}
        </code>
      </td>
      <td>
        {event.pending ? (
          <span className="tag tag-pending">pending</span>
        ) : (
          <span className="tag tag-confirmed">seq {event.serverSeq ?? '–'}</span>
        )}
      </td>
      <td className="data" title={data}>
        <code>{data}</code>
      </td>
    </tr>
  )
}
