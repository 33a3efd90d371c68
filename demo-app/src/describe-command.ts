/** How the board names things, to describe a command in its terms. */
export interface Names {
  /** The card's title, when the command is about a card. */
  card?: string | undefined
  column: (id: string) => string
}

/** A short human description of a command, for the rejections panel: "Move “Benchmarks” to Doing". */
export function describeCommand(path: string, input: unknown, names: Names): string {
  const i = (input ?? {}) as { title?: unknown; to?: unknown; column?: unknown }
  const title = typeof i.title === 'string' ? ` “${i.title}”` : ''
  const card = names.card === undefined ? ' card' : ` “${names.card}”`
  const column = (id: unknown) => (typeof id === 'string' ? names.column(id) : '?')
  switch (path) {
    case 'board.addCard':
      return `Add${title} to ${column(i.column)}`
    case 'board.moveCard':
      return `Move${card} to ${column(i.to)}`
    case 'board.archiveCard':
      return `Archive${card}`
    case 'board.setWipLimit':
      return `Change the WIP limit of ${column(i.column)}`
    case 'board.create':
      return 'Create the board'
    case 'card.rename':
      return `Rename${card} to${title}`
    default:
      return path
  }
}

/** "doing is full (WIP limit 2)" reads better as "Doing is full (WIP limit 2)". */
export const sentence = (message: string): string => message.charAt(0).toUpperCase() + message.slice(1)
