/** Order statistics (nearest rank on sorted samples). */
export function quantile(samples: number[], q: number): number {
  if (samples.length === 0) return Number.NaN
  const s = [...samples].sort((a, b) => a - b)
  const rank = Math.ceil(q * s.length) - 1
  return s[Math.min(s.length - 1, Math.max(0, rank))]!
}
export const median = (s: number[]) => quantile(s, 0.5)
export const p99 = (s: number[]) => quantile(s, 0.99)
