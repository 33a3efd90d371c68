import { createClient } from '@cairn/core'
import { CairnProvider } from '@cairn/react'
import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import type { TodoDomain } from './domain'
import './styles.css'

/** `?list=groceries` opens another list (another sync space, another local database). */
const requested = new URL(location.href).searchParams.get('list') ?? ''
const list = /^[A-Za-z0-9_-]{1,64}$/.test(requested) ? requested : 'todos'

// The domain is imported as a type only: its code runs in the worker.
const cairn = createClient<TodoDomain>(
  new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: list }),
)

const root = document.getElementById('root')
if (!root) throw new Error('no #root element')
createRoot(root).render(
  <StrictMode>
    <CairnProvider client={cairn}>
      <App list={list} />
    </CairnProvider>
  </StrictMode>,
)
