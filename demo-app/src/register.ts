import type { KanbanWithMembers } from '@cairn/example-kanban/members'

// Types every @cairn/react hook by path: useQuery('columns.onBoard', ...), useCommand('board.moveCard'), ...
declare module '@cairn/react' {
  interface Register {
    domain: KanbanWithMembers
  }
}
