/**
 * The person using this browser: a stable user id (the subject of their personal data: forgetting them is
 * `forgetSubject(id)`) and the display name they gave, in localStorage (every tab). The name is also their
 * personal data on each board they are a member of (`member.join` / `member.rename`), where it travels sealed
 * with their key. Forgetting them starts a new user here: a new id, no name.
 */

const KEY = 'cairn-demo:user'
/** "Not now" on the name prompt: this tab only. */
const LATER_KEY = 'cairn-demo:name-later'

export interface LocalUser {
  id: string
  /** null until they give one. */
  name: string | null
}

const listeners = new Set<() => void>()
let cached: { raw: string | null; user: LocalUser } | null = null
/** Set while this tab forgets the user: nothing may write their name meanwhile. */
let forgetting = false

function storage(): Storage | null {
  try {
    return window.localStorage
  } catch {
    return null // storage disabled (privacy settings): a new user per page load
  }
}

function changed(): void {
  cached = null
  for (const listener of listeners) listener()
}

/** For `useSyncExternalStore`: this tab's changes and other tabs' (the `storage` event). */
export function subscribeUser(listener: () => void): () => void {
  listeners.add(listener)
  const onStorage = (event: StorageEvent) => {
    if (event.key === KEY || event.key === null) changed()
  }
  window.addEventListener('storage', onStorage)
  return () => {
    listeners.delete(listener)
    window.removeEventListener('storage', onStorage)
  }
}

function parse(raw: string | null): LocalUser | null {
  if (raw === null) return null
  try {
    const value = JSON.parse(raw) as Partial<LocalUser> | null
    if (typeof value?.id !== 'string' || value.id === '') return null
    return { id: value.id, name: typeof value.name === 'string' && value.name.trim() !== '' ? value.name : null }
  } catch {
    return null
  }
}

let memoryUser: LocalUser | null = null

/** The user of this browser, created (with a new id, no name) on first use. Stable object between changes. */
export function localUser(): LocalUser {
  const store = storage()
  const raw = store?.getItem(KEY) ?? null
  if (cached && cached.raw === raw) return cached.user
  let user = parse(raw) ?? (store ? null : memoryUser)
  if (!user) {
    user = { id: crypto.randomUUID(), name: null }
    if (store) store.setItem(KEY, JSON.stringify(user))
    else memoryUser = user
  }
  cached = { raw: store?.getItem(KEY) ?? null, user }
  return user
}

function save(user: LocalUser): void {
  const store = storage()
  if (store) store.setItem(KEY, JSON.stringify(user))
  else memoryUser = user
  changed()
}

export function setUserName(name: string): void {
  save({ ...localUser(), name: name.trim() })
}

/** After a forget: a new user id and no name; the old ones are gone from this browser. */
export function startNewUser(): void {
  save({ id: crypto.randomUUID(), name: null })
  try {
    window.sessionStorage.removeItem(LATER_KEY)
  } catch {}
}

export function isForgetting(): boolean {
  return forgetting
}

export function setForgetting(value: boolean): void {
  forgetting = value
}

export function nameLater(): boolean {
  try {
    return window.sessionStorage.getItem(LATER_KEY) === '1'
  } catch {
    return false
  }
}

export function setNameLater(): void {
  try {
    window.sessionStorage.setItem(LATER_KEY, '1')
  } catch {}
  changed()
}
