/** Each database's network: its link (faults, offline windows, held pushes) and its misbehaving transports. */

import type { ForgetRequest, PushRequest, SubjectKeysRequest } from '../../src/protocol'
import { SyncNetworkError, type SyncTransport } from '../../src/sync/transport'
import type { MemorySyncServer } from '../../src/testing/memory-sync-server'
import type { Fault } from './scenario'

/** One database's network: faults for its next requests (whatever their space), and what is cut off. */
export class Link {
  faults: Fault[] = []
  offline = false
  /** Pushes fail as offline ones do; pulls work (step `hold`). */
  pushHeld = false
  readonly offlineSpaces = new Set<string>()

  next(space: string): Fault {
    if (this.offline) throw new SyncNetworkError('offline')
    if (this.offlineSpaces.has(space)) throw new SyncNetworkError(`space '${space}' is unreachable`)
    return this.faults.shift() ?? 'none'
  }
}

/** A transport to one space's server that misbehaves according to its database's link. */
export class FaultyTransport implements SyncTransport {
  constructor(
    private readonly server: MemorySyncServer,
    private readonly link: Link,
    private readonly space: string,
  ) {}

  async push(request: PushRequest) {
    if (this.link.pushHeld) throw new SyncNetworkError('pushes held back')
    const fault = this.link.next(this.space)
    if (fault === 'lose-request') throw new SyncNetworkError('request lost')
    const response = this.server.push(structuredClone(request))
    if (fault === 'lose-response') throw new SyncNetworkError('response lost after commit')
    if (fault === 'duplicate') return this.server.push(structuredClone(request))
    return response
  }

  async pull(after: number, limit: number) {
    const fault = this.link.next(this.space)
    if (fault === 'lose-request' || fault === 'break-pull') throw new SyncNetworkError('pull broken')
    const response = this.server.pull(after, limit)
    if (fault === 'lose-response') throw new SyncNetworkError('pull response lost')
    return response
  }

  /** The key store: a read (a held database reaches it), that may create keys. */
  async subjectKeys(request: SubjectKeysRequest) {
    const fault = this.link.next(this.space)
    if (fault === 'lose-request' || fault === 'break-pull') throw new SyncNetworkError('subject keys lost')
    const response = this.server.keysOf(structuredClone(request))
    if (fault === 'lose-response') throw new SyncNetworkError('subject keys response lost')
    return response
  }

  /** A write: held back as pushes are. */
  async forget(request: ForgetRequest) {
    if (this.link.pushHeld) throw new SyncNetworkError('writes held back')
    const fault = this.link.next(this.space)
    if (fault === 'lose-request') throw new SyncNetworkError('forget lost')
    const response = this.server.forget(request.subject, request.proof)
    if (fault === 'lose-response') throw new SyncNetworkError('forget response lost after commit')
    if (fault === 'duplicate') return this.server.forget(request.subject, request.proof)
    return response
  }
}
