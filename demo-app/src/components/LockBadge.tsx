import { LockIcon } from './LockIcon'

/** The lock of an end-to-end encrypted board: the icon, with its label (visible, or for screen readers only). */
export function LockBadge({ compact = false, testId }: { compact?: boolean; testId: string }) {
  const label = 'End-to-end encrypted'
  return (
    <span className={`lock${compact ? ' lock-compact' : ''}`} data-testid={testId} title={label}>
      <LockIcon />
      {compact ? <span className="sr-only">{label}</span> : 'Encrypted'}
    </span>
  )
}
