import { createClient } from '@cairn/core'
import type { KanbanWithMembers } from '@cairn/example-kanban/members'
import { CairnProvider } from '@cairn/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './components/App'
import { UpdatePrompt } from './components/UpdatePrompt'
import { readRoute } from './config'
import { takeShareFragment } from './share-link'
import './styles.css'

const url = new URL(window.location.href)
// A share link's passphrase (`#key=`) is offered to the join of its board, then leaves the address bar.
const shared = takeShareFragment(url)
const route = readRoute(url)
if (url.searchParams.has('token') || shared) {
  // Remembered per board in localStorage: keep it out of the address bar, the history and shared links.
  url.searchParams.delete('token')
  window.history.replaceState(null, '', url)
}

// One worker and one database for every board: switching boards is a query, not a page load.
const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'cairn' })
const cairn = createClient<KanbanWithMembers>(worker)

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <CairnProvider client={cairn}>
      <App initialRoute={route} />
      {import.meta.env.PROD ? <UpdatePrompt /> : null}
    </CairnProvider>
  </StrictMode>,
)
