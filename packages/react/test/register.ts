import type { Kanban } from '@cairn/core/examples/kanban'

declare module '@cairn/react' {
  interface Register {
    domain: Kanban
  }
}
