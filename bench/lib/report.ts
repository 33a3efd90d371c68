/** Result rows, the markdown table, the stdout table and the hand-written SVG chart. */

export interface Ratio {
  to: string
  value: number
}

export interface Row {
  scenario: string
  subject: string
  /** A baseline (measured in the same run) rather than Cairn itself. */
  baseline?: boolean
  metric: string
  unit: string
  /** Median (for latencies) or the single figure (rates, sizes). */
  value?: number
  p99?: number
  samples?: number
  ratios?: Ratio[]
  target?: string
  status: 'ok' | 'failed' | 'skipped'
  /** A failure of this row does not fail --quick (optional third-party baselines). */
  optional?: boolean
  note?: string
  error?: string
}

export interface Environment {
  date: string
  mode: 'full' | 'quick'
  machine: { cpus: number; cpuModel: string; memoryGB: number; os: string }
  node: string
  chromium: string
  userAgent?: string
  crossOriginIsolated?: boolean
  playwright: string
  vite: string
  wallSeconds?: number
}

export function fmt(n: number | undefined, unit = ''): string {
  if (n === undefined || Number.isNaN(n)) return ''
  const abs = Math.abs(n)
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3
  const s = n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
  return unit ? `${s} ${unit}` : s
}

const ratioText = (r: Row) => (r.ratios ?? []).map((x) => `${fmt(x.value)}× ${x.to}`).join('; ')
const statusText = (r: Row) =>
  r.status === 'ok'
    ? r.note
      ? `ok — ${r.note}`
      : 'ok'
    : `**${r.status.toUpperCase()}**: ${r.error ?? r.note ?? ''}`.replace(/\|/g, '\\|')

export function markdown(env: Environment, rows: Row[]): string {
  const lines: string[] = []
  lines.push(`# Cairn benchmarks (${env.mode} run)`)
  lines.push('')
  lines.push(
    `${env.date} · ${env.machine.cpus} × ${env.machine.cpuModel}, ${env.machine.memoryGB} GB RAM, ${env.machine.os} · ` +
      `Node ${env.node} · Chromium ${env.chromium} (headless, cross-origin isolated: ${env.crossOriginIsolated}) · ` +
      `Playwright ${env.playwright} · Vite ${env.vite}` +
      (env.wallSeconds !== undefined ? ` · wall time ${fmt(env.wallSeconds)} s` : ''),
  )
  lines.push('')
  lines.push(
    'Value = median for latencies (with p99), else the single figure. Ratios are to baselines measured in this same run. ' +
      'Nothing here is cached or hard-coded; see bench/README.md for what each scenario does.',
  )
  lines.push('')
  lines.push('| scenario | subject | metric | value | p99 | n | ratio | target | status |')
  lines.push('|---|---|---|---:|---:|---:|---|---|---|')
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.baseline ? `_${r.subject}_` : r.subject} | ${r.metric} | ${fmt(r.value, r.unit)} | ${fmt(r.p99, r.p99 === undefined ? '' : r.unit)} | ${r.samples ?? ''} | ${ratioText(r)} | ${r.target ?? ''} | ${statusText(r)} |`,
    )
  }
  lines.push('')
  lines.push(
    'Baselines are in _italics_. Chart: [latest.svg](latest.svg) (full run) / [quick.svg](quick.svg) (quick run).',
  )
  return `${lines.join('\n')}\n`
}

function pad(s: string, n: number) {
  return s.length >= n ? s : s + ' '.repeat(n - s.length)
}

export function stdoutTable(rows: Row[]): string {
  const header = ['scenario', 'subject', 'metric', 'value', 'p99', 'n', 'ratio', 'status']
  const data = rows.map((r) => [
    r.scenario,
    (r.baseline ? '· ' : '') + r.subject,
    r.metric,
    fmt(r.value, r.unit),
    fmt(r.p99, r.p99 === undefined ? '' : r.unit),
    String(r.samples ?? ''),
    ratioText(r),
    r.status === 'ok' ? 'ok' : `${r.status.toUpperCase()}: ${(r.error ?? r.note ?? '').slice(0, 140)}`,
  ])
  const widths = header.map((h, i) =>
    Math.min(i === 1 ? 48 : i === 7 ? 150 : 40, Math.max(h.length, ...data.map((d) => d[i]!.length))),
  )
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!)).join(' │ ')
  return [line(header), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...data.map(line)].join('\n')
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * A hand-written SVG: one panel per (scenario, metric), a horizontal bar per subject scaled to the panel's
 * largest value; Cairn in teal, baselines in grey, failed or skipped rows as text.
 */
export function svgChart(env: Environment, rows: Row[]): string {
  const groups = new Map<string, Row[]>()
  for (const r of rows) {
    const key = `${r.scenario} — ${r.metric}${r.unit ? ` (${r.unit})` : ''}`
    groups.set(key, [...(groups.get(key) ?? []), r])
  }
  const width = 980
  const labelW = 380
  const barW = width - labelW - 160
  const rowH = 20
  let y = 56
  const parts: string[] = []
  for (const [title, rs] of groups) {
    parts.push(`<text x="12" y="${y}" class="h">${esc(title)}</text>`)
    y += 8
    const max = Math.max(...rs.map((r) => Math.max(r.value ?? 0, r.p99 ?? 0)), 1e-9)
    for (const r of rs) {
      y += rowH
      parts.push(
        `<text x="${labelW - 8}" y="${y - 5}" class="l" text-anchor="end">${esc(r.subject.slice(0, 60))}</text>`,
      )
      if (r.status !== 'ok' || r.value === undefined) {
        parts.push(
          `<text x="${labelW}" y="${y - 5}" class="${r.status === 'failed' ? 'f' : 's'}">${esc(`${r.status}: ${(r.error ?? r.note ?? '').slice(0, 90)}`)}</text>`,
        )
        continue
      }
      const w = Math.max(1, (r.value / max) * barW)
      parts.push(
        `<rect x="${labelW}" y="${y - 15}" width="${w.toFixed(1)}" height="13" class="${r.baseline ? 'b' : 'c'}"/>`,
      )
      if (r.p99 !== undefined) {
        const x = labelW + (r.p99 / max) * barW
        parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${y - 17}" y2="${y}" class="p"/>`)
      }
      const label = `${fmt(r.value, r.unit)}${r.p99 !== undefined ? ` (p99 ${fmt(r.p99)})` : ''}`
      parts.push(
        `<text x="${labelW + Math.max(w, r.p99 !== undefined ? (r.p99 / max) * barW : 0) + 6}" y="${y - 5}" class="v">${esc(label)}</text>`,
      )
    }
    y += 22
  }
  const height = y + 10
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<style>.t{font-size:16px;font-weight:600}.m{font-size:11px;fill:#555}.h{font-size:13px;font-weight:600}.l{font-size:11px;fill:#222}.v{font-size:11px;fill:#222}.f{font-size:11px;fill:#b00020}.s{font-size:11px;fill:#777}.c{fill:#1b9e8f}.b{fill:#a9a9a9}.p{stroke:#333;stroke-width:1.5}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" class="t">Cairn benchmarks (${env.mode}) — teal: Cairn, grey: baselines in the same run, tick: p99</text>
<text x="12" y="40" class="m">${esc(`${env.date} · ${env.machine.cpus} cores, ${env.machine.memoryGB} GB · Node ${env.node} · Chromium ${env.chromium}`)}</text>
${parts.join('\n')}
</svg>
`
}
