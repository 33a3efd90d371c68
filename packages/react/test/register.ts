import type { Kanban } from '@cairn/example-kanban'

declare module '@cairn/react' {
  interface Register {
    domain: Kanban
  }
}
