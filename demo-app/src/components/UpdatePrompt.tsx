import { useRegisterSW } from 'virtual:pwa-register/react'

/**
 * Registers the service worker (production builds) and, when a new version of the app is installed and waiting,
 * offers to reload into it. Until the user accepts, open tabs keep running the version they loaded: its files
 * stay in the old precache, so no chunk goes missing under them.
 */
export function UpdatePrompt() {
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    updateServiceWorker,
  } = useRegisterSW({
    onRegisterError: (error: unknown) =>
      console.warn('Service worker not registered; the app will not open offline', error),
  })
  if (!needRefresh) return null
  return (
    <div className="update-prompt" role="status" data-testid="update-prompt">
      <span>A new version of the app is ready.</span>
      <button type="button" onClick={() => void updateServiceWorker(true)}>
        Reload
      </button>
      <button type="button" onClick={() => setNeedRefresh(false)}>
        Later
      </button>
    </div>
  )
}
