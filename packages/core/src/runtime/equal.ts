import { dequal } from 'dequal'

/**
 * Stands in for a Blob during a comparison: equal only to the token of the same Blob object. A Blob's bytes
 * cannot be read synchronously, and `dequal` treats any two Blobs as equal (they have no own keys), so Blobs
 * are compared by identity. Results read from IndexedDB hold fresh Blob objects, so a live query whose result
 * holds a Blob republishes on every change it is told of: a false "changed" is harmless, a false "equal" is not.
 */
class BlobToken {
  constructor(readonly id: number) {}
}

const blobIds = new WeakMap<Blob, number>()
let nextBlobId = 0

function isBlob(value: object): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob
}

function tokenOf(blob: Blob): BlobToken {
  let id = blobIds.get(blob)
  if (id === undefined) {
    id = ++nextBlobId
    blobIds.set(blob, id)
  }
  return new BlobToken(id)
}

/** `value` with every Blob inside (arrays, plain objects, Maps, Sets) replaced by its token; unchanged (same reference) when it holds none. */
function withoutBlobs(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (isBlob(value)) return tokenOf(value)
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined
    for (let i = 0; i < value.length; i++) {
      const item = withoutBlobs(value[i])
      if (item !== value[i]) {
        copy ??= value.slice()
        copy[i] = item
      }
    }
    return copy ?? value
  }
  if (value instanceof Map) {
    let changed = false
    const entries = [...value].map(([k, v]) => {
      const entry = [withoutBlobs(k), withoutBlobs(v)] as const
      if (entry[0] !== k || entry[1] !== v) changed = true
      return entry
    })
    return changed ? new Map(entries) : value
  }
  if (value instanceof Set) {
    let changed = false
    const items = [...value].map((v) => {
      const item = withoutBlobs(v)
      if (item !== v) changed = true
      return item
    })
    return changed ? new Set(items) : value
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  let copy: Record<string, unknown> | undefined
  for (const [k, v] of Object.entries(value)) {
    const item = withoutBlobs(v)
    if (item !== v) {
      copy ??= { ...(value as Record<string, unknown>) }
      copy[k] = item
    }
  }
  return copy ?? value
}

/**
 * Structural equality for query results: plain objects, arrays, dates, `Set`, `Map`, `ArrayBuffer`, typed arrays,
 * `DataView`, RegExp (the `dequal` package); Blobs (and Files) by identity.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  return dequal(withoutBlobs(a), withoutBlobs(b))
}
