import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { CommandContext, ConflictPolicy, Decision } from '../domain/aggregate'
import type { AnyDomain } from '../domain/domain'
import { UnknownPathError } from '../domain/errors'
import type { EventDefinition, RecordedEvent } from '../domain/events'
import type { ProjectionTx } from '../domain/projection'
import type { ReadTable } from '../domain/read-table'
import { readModelTable } from '../store/schema'

/** An aggregate with its types erased, as the runtime uses it. */
export interface RuntimeAggregate {
  name: string
  events: Record<string, EventDefinition>
  initialState: () => unknown
  evolve: Record<string, (state: unknown, event: RecordedEvent) => unknown>
  commands: Record<
    string,
    (state: unknown, input: unknown, ctx: CommandContext<Record<string, EventDefinition>>) => Decision
  >
  inputs: Record<string, StandardSchemaV1 | undefined>
  conflict: ConflictPolicy
  snapshot?: { every: number; version: number } | undefined
}

/** A projection with its types erased, as the runtime uses it. */
export interface RuntimeProjection {
  name: string
  version: number
  from: readonly string[]
  table: { key: string; indexes?: readonly string[] | undefined }
  on: Record<string, ((tx: ProjectionTx<unknown>, event: RecordedEvent) => void | Promise<void>) | undefined>
  queries: Record<string, (table: ReadTable<unknown>, arg: unknown) => Promise<unknown>>
  mode: 'inline' | 'async'
  /** `space`: rows belong to one space each; `all`: rows combine spaces (see `defineProjection`). */
  scope?: 'space' | 'all' | undefined
  /** Name of the Dexie table. */
  tableName: string
}

/** The domain indexed for fast lookups by path and by event. */
export class LoadedDomain {
  readonly aggregates = new Map<string, RuntimeAggregate>()
  readonly projections: RuntimeProjection[] = []
  private readonly byAggregate = new Map<string, RuntimeProjection[]>()

  constructor(readonly domain: AnyDomain) {
    for (const a of Object.values(domain.aggregates)) this.aggregates.set(a.name, a as unknown as RuntimeAggregate)
    for (const p of Object.values(domain.projections)) {
      const rp = { ...(p as unknown as Omit<RuntimeProjection, 'tableName'>), tableName: readModelTable(p) }
      this.projections.push(rp)
      for (const source of rp.from) {
        const list = this.byAggregate.get(source) ?? []
        list.push(rp)
        this.byAggregate.set(source, list)
      }
    }
  }

  /** Resolves `'card.move'` to its aggregate and handler, or throws UnknownPathError. */
  command(path: string): { aggregate: RuntimeAggregate; name: string; handler: RuntimeAggregate['commands'][string] } {
    const dot = path.indexOf('.')
    const aggregate = this.aggregates.get(path.slice(0, dot))
    const name = path.slice(dot + 1)
    const handler =
      dot > 0 && aggregate && Object.hasOwn(aggregate.commands, name) ? aggregate.commands[name] : undefined
    if (!aggregate || typeof handler !== 'function') throw new UnknownPathError('command', path, this.commandPaths())
    return { aggregate, name, handler }
  }

  /** Resolves `'board.byColumn'` to its projection and query function, or throws UnknownPathError. */
  query(path: string): { projection: RuntimeProjection; fn: RuntimeProjection['queries'][string] } {
    const dot = path.indexOf('.')
    const projection = this.projections.find((p) => p.name === path.slice(0, dot))
    const name = path.slice(dot + 1)
    const fn = dot > 0 && projection && Object.hasOwn(projection.queries, name) ? projection.queries[name] : undefined
    if (!projection || typeof fn !== 'function') throw new UnknownPathError('query', path, this.queryPaths())
    return { projection, fn }
  }

  projection(name: string): RuntimeProjection {
    const p = this.projections.find((x) => x.name === name)
    if (!p)
      throw new UnknownPathError(
        'query',
        name,
        this.projections.map((x) => x.name),
      )
    return p
  }

  /** Projections that read events of `aggregate` (suspended ones excepted). */
  projectionsOf(aggregate: string): readonly RuntimeProjection[] {
    return this.byAggregate.get(aggregate) ?? []
  }

  /**
   * Stops writing a projection for the rest of this run: its catch-up failed, so its table is half built, and
   * rows written on top of it would be applied again when the next start rebuilds it.
   */
  suspend(name: string): void {
    for (const [aggregate, list] of this.byAggregate) {
      this.byAggregate.set(
        aggregate,
        list.filter((p) => p.name !== name),
      )
    }
  }

  commandPaths(): string[] {
    return [...this.aggregates.values()].flatMap((a) => Object.keys(a.commands).map((c) => `${a.name}.${c}`))
  }

  queryPaths(): string[] {
    return this.projections.flatMap((p) => Object.keys(p.queries).map((q) => `${p.name}.${q}`))
  }
}

/** Splits `card:123` into aggregate name and id. */
export function parseStream(stream: string): { aggregate: string; id: string } {
  const colon = stream.indexOf(':')
  return { aggregate: stream.slice(0, colon), id: stream.slice(colon + 1) }
}
