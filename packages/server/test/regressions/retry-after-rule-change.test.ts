// Review (issue 15): pushes are "idempotent by event id", but validation and authorizeEvent run before the
// storage's retry check. A retry of an event that IS stored (the 200 was lost) is refused once the rules changed
// in between (a revoked role, a time-based rule, a tightened domain deployed): the answer says "nothing stored"
// and lists the event, the client durably rejects and rolls back a command that every other client has applied.
// Expected: an identical retry of a stored event is answered with its original seq whatever the rules are now.
import { describe, expect, it } from 'vitest'
import { createSyncServer } from '../../src/app.js'
import { createMemoryStorage } from '../../src/storage/memory.js'

describe('review: identical retry after the rules changed', () => {
  it('an already stored event is accepted again with its seq, not refused as "nothing stored"', async () => {
    let allowed = true
    const sync = createSyncServer({
      storage: createMemoryStorage(),
      rateLimit: false,
      authorizeEvent: () => allowed,
    })
    const body = JSON.stringify({
      clientId: 'c',
      events: [
        { id: 'e1', stream: 'card:1', version: 1, type: 'CardAdded', data: { t: 1 }, meta: { commandId: 'cmd-1' } },
      ],
    })
    const push = () =>
      sync.fetch('http://cairn.test/v1/spaces/s/push', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    expect((await push()).status).toBe(200)
    allowed = false // e.g. the principal's role was revoked while the first answer was lost
    const retry = await push()
    const answer = (await retry.json()) as Record<string, unknown>
    expect({ status: retry.status, answer }).toMatchObject({
      status: 200,
      answer: { accepted: [{ id: 'e1', seq: 1 }] },
    })
  })
})
