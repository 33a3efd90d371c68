import type { Kanban } from '@cairn/example-kanban'

// Types every @cairn/react hook by path: useQuery('columns.onBoard', ...), useCommand('board.moveCard'), ...
declare module '@cairn/react' {
  interface Register {
    domain: Kanban
  }
}
