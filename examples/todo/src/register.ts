import type { TodoDomain } from './domain'

/** Types `useQuery`, `useCommand` and `useCairn` by path for this app's domain. */
declare module '@cairn/react' {
  interface Register {
    domain: TodoDomain
  }
}
