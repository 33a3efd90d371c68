import { useCallback, useEffect, useState } from 'react'
import { type Route, readRoute, rememberLastBoard, routeUrl } from '../config'
import { takeShareFragment } from '../share-link'

/** Changes the view without a page load: the address bar follows (`pushState`), Back and Forward work. */
export type Navigate = (route: Route, options?: { replace?: boolean }) => void

/** The current view, from the address bar; `navigate` switches boards (or to "My cards") with no reload. */
export function useRoute(initial: Route): [Route, Navigate] {
  const [route, setRoute] = useState(initial)

  useEffect(() => {
    const onPop = () => setRoute(readRoute(new URL(window.location.href)))
    // A share link opened in this tab on the page's own address changes only the fragment: no page load.
    const onHash = () => {
      const url = new URL(window.location.href)
      if (!takeShareFragment(url)) return
      window.history.replaceState(null, '', url)
      setRoute(readRoute(url))
    }
    window.addEventListener('popstate', onPop)
    window.addEventListener('hashchange', onHash)
    return () => {
      window.removeEventListener('popstate', onPop)
      window.removeEventListener('hashchange', onHash)
    }
  }, [])

  useEffect(() => {
    if (route.view === 'board') rememberLastBoard(route.board)
    document.title = route.view === 'board' ? `${route.board} · Cairn kanban` : 'My cards · Cairn kanban'
  }, [route])

  const navigate = useCallback<Navigate>((next, options) => {
    const url = routeUrl(next)
    if (options?.replace) window.history.replaceState(null, '', url)
    else window.history.pushState(null, '', url)
    setRoute(next)
  }, [])

  return [route, navigate]
}
