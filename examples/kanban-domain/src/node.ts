/**
 * Runs the kanban domain in Node, in-process, on fake-indexeddb: `npm run example`.
 * The same domain runs unchanged in a Web Worker on real IndexedDB (see README).
 */
import 'fake-indexeddb/auto'
import { createLocalClient, isCairnError } from '@cairn/core'
import { kanban, teamBoard } from './index'

const cairn = createLocalClient(kanban, { name: 'example' })

await cairn.execute('board.create', {
  id: 'team',
  input: { ...teamBoard, title: 'Team board' },
})
const stop = cairn.subscribe('columns.onBoard', 'team', (cols) => {
  console.log(
    'board:',
    cols.map((c) => `${c.title} (${c.cardIds.length}${c.wipLimit ? `/${c.wipLimit}` : ''})`).join(' | '),
  )
})
await cairn.execute('board.addCard', { id: 'team', input: { cardId: 'c1', title: 'Write the README', column: 'todo' } })
await cairn.execute('board.addCard', { id: 'team', input: { cardId: 'c2', title: 'Ship it', column: 'todo' } })
await cairn.execute('board.moveCard', { id: 'team', input: { cardId: 'c1', to: 'doing' } })
try {
  await cairn.execute('board.moveCard', { id: 'team', input: { cardId: 'c2', to: 'doing' } })
} catch (error) {
  if (isCairnError(error, 'CommandRejected')) console.log(`rejected: ${error.code} — ${error.message}`)
}
console.log(
  'cards in Doing:',
  (await cairn.query('cards.byColumn', { board: 'team', column: 'doing' })).map((c) => c.title),
)
await new Promise((resolve) => setTimeout(resolve, 50))
stop()
await cairn.close()
