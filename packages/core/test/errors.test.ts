import { describe, expect, it } from 'vitest'
import { CairnError, ClosedError, reviveError, SyncError } from '../src/domain/errors'
import { ServerResetError, syncErrorOf } from '../src/sync/engine'
import { SyncHttpError, SyncNetworkError } from '../src/sync/transport'

describe('one error hierarchy', () => {
  it('sync failures are CairnErrors with codes, and the status shows their JSON', () => {
    const http = new SyncHttpError(403, { code: 'FORBIDDEN', message: 'no access' })
    const network = new SyncNetworkError('fetch failed')
    const reset = new ServerResetError('a', 'b')
    for (const [error, code] of [
      [http, 'FORBIDDEN'],
      [network, 'NETWORK'],
      [reset, 'SERVER_RESET'],
    ] as const) {
      expect(error).toBeInstanceOf(CairnError)
      expect(error).toBeInstanceOf(SyncError)
      expect(error.code).toBe(code)
      expect(syncErrorOf(error)).toEqual(error.toJSON())
    }
    expect(syncErrorOf(http)).toMatchObject({ name: 'SyncError', code: 'FORBIDDEN', details: { status: 403 } })
  })

  it('an IndexedDB failure during sync is reported as storage, not as the network', () => {
    const quota = Object.assign(new Error('quota'), { name: 'QuotaExceededError' })
    expect(syncErrorOf(quota)).toMatchObject({ name: 'StorageError', code: 'QUOTA' })
    expect(syncErrorOf(new TypeError('Failed to fetch'))).toMatchObject({ name: 'SyncError', code: 'NETWORK' })
  })

  it('ClosedError and SyncError survive the worker boundary with their class', () => {
    const closed = reviveError(new ClosedError().toJSON())
    expect(closed).toBeInstanceOf(ClosedError)
    expect(closed.code).toBe('CLOSED')
    const sync = reviveError(new SyncError('SYNC_PAUSED', 'paused').toJSON())
    expect(sync).toBeInstanceOf(SyncError)
    expect(sync.code).toBe('SYNC_PAUSED')
  })
})
