import type { LogSnapshot } from '@cairn/core'
import { useCairn } from '@cairn/react'
import { useEffect, useState } from 'react'

/** The live local log (newest first) and the projections' checkpoints; `undefined` until the first snapshot. */
export function useLog(limit: number): LogSnapshot | undefined {
  const cairn = useCairn()
  const [log, setLog] = useState<LogSnapshot>()
  useEffect(() => cairn.subscribeLog({ limit }, setLog), [cairn, limit])
  return log
}
