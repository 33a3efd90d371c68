import type { AnyAggregate } from '../domain/aggregate'
import { commandContext, normalizeDecision, type Rejection } from '../domain/aggregate'
import { CommandRejected, HandlerError } from '../domain/errors'
import type { DataOf, RecordedEvent } from '../domain/events'
import { evolve } from '../runtime/decide'
import type { RuntimeAggregate } from '../runtime/loaded-domain'

type EventsOf<A extends AnyAggregate> = {
  [K in keyof A['events'] & string]: { type: K; data: DataOf<A['events'][K]> }
}[keyof A['events'] & string]

type CommandsOf<A extends AnyAggregate> = keyof A['commands'] & string

type InputFor<A extends AnyAggregate, C extends CommandsOf<A>> = A['commands'][C] extends (
  state: never,
  input: infer I,
  ctx: never,
) => unknown
  ? I
  : never

/** The outcome of `when`: the events the command decided, or its rejection. */
export interface SpecOutcome<A extends AnyAggregate> {
  events: EventsOf<A>[]
  rejection: Rejection | undefined
  /** State after the given events and the new ones. */
  state: ReturnType<A['initialState']>
}

/** The `then` stage of an aggregate spec. */
export interface ThenStage<A extends AnyAggregate> {
  /** Asserts the exact events (type and data), or runs your own assertions. Throws on mismatch. */
  then(expected: EventsOf<A>[] | ((outcome: SpecOutcome<A>) => void)): void
  /** Asserts that the command was rejected with `code`. */
  thenRejects(code: string): void
  /** The raw outcome. */
  readonly outcome: SpecOutcome<A>
}

/** The `when` stage of an aggregate spec. */
export interface WhenStage<A extends AnyAggregate> {
  when<C extends CommandsOf<A>>(
    command: C,
    input: InputFor<A, C>,
    options?: { id?: string; now?: number },
  ): ThenStage<A>
}

function stringify(value: unknown): string {
  return JSON.stringify(value, null, 2)
}

function sameJson(a: unknown, b: unknown): boolean {
  return stringify(a) === stringify(b)
}

/**
 * Given/when/then tests for an aggregate, with no database: pure and fast.
 *
 * @example
 * aggregateSpec(board)
 *   .given([{ type: 'BoardCreated', data: { title: 'T' } }])
 *   .when('addCard', { cardId: 'c1', title: 'x', column: 'nope' })
 *   .thenRejects('NoSuchColumn')
 */
export function aggregateSpec<A extends AnyAggregate>(aggregate: A): { given(events: EventsOf<A>[]): WhenStage<A> } {
  const agg = aggregate as unknown as RuntimeAggregate
  return {
    given(given) {
      return {
        when(command, input, options = {}) {
          const id = options.id ?? 'spec'
          const stream = `${agg.name}:${id}`
          let state = agg.initialState()
          let version = 0
          const record = (e: { type: string; data: unknown }): RecordedEvent => {
            version += 1
            return {
              id: `${stream}@${version}`,
              space: 'default',
              stream,
              streamId: id,
              version,
              type: e.type,
              data: e.data,
              meta: { commandId: 'spec', clientId: 'spec', issuedAt: options.now ?? 0, schemaVersion: 1 },
              position: version,
            }
          }
          for (const e of given) state = evolve(agg, state, record(e))
          const handler = agg.commands[command]
          if (typeof handler !== 'function') throw new Error(`aggregate '${agg.name}' has no command '${command}'`)
          let decision: ReturnType<typeof normalizeDecision>
          try {
            decision = normalizeDecision(
              handler(state, input, commandContext({ id, version, now: options.now ?? 0, commandId: 'spec' })),
            )
          } catch (cause) {
            throw new HandlerError(`command '${command}'`, cause)
          }
          const events = Array.isArray(decision) ? decision.map((e) => ({ type: e.type, data: e.data })) : []
          for (const e of events) state = evolve(agg, state, record(e))
          const outcome = {
            events: events as EventsOf<A>[],
            rejection: Array.isArray(decision) ? undefined : (decision as Rejection),
            state: state as ReturnType<A['initialState']>,
          }
          return {
            outcome,
            // biome-ignore lint/suspicious/noThenProperty: given/when/then is the spec vocabulary users expect
            then(expected) {
              if (outcome.rejection) {
                throw new Error(`expected events, but '${command}' was rejected with ${outcome.rejection.code}`)
              }
              if (typeof expected === 'function') return expected(outcome)
              if (!sameJson(outcome.events, expected)) {
                throw new Error(`'${command}' produced\n${stringify(outcome.events)}\nexpected\n${stringify(expected)}`)
              }
            },
            thenRejects(code) {
              if (!outcome.rejection) {
                throw new Error(`expected rejection ${code}, but '${command}' produced ${stringify(outcome.events)}`)
              }
              if (outcome.rejection.code !== code) {
                throw new CommandRejected(
                  outcome.rejection.code,
                  `expected rejection ${code}, got ${outcome.rejection.code}`,
                )
              }
            },
          }
        },
      }
    },
  }
}
