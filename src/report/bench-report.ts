/** bench output: the comparison table (text) and a self-contained HTML page with one bar chart per metric. */

import { writeFileAtomic } from '../common/output-files.js';
import { formatBytes, formatCount, formatMs } from '../common/units.js';
import type { BenchMetrics, BenchSetting, MetricName } from './bench-analysis.js';
import { embedJson, escapeHtml, uplotAssets } from './html-page.js';

const COLUMNS: Array<{ name: MetricName; label: string; format: (v: number) => string }> = [
  { name: 'peakRss', label: 'peak RSS', format: (v) => formatBytes(v) },
  { name: 'rssGrowth', label: 'growth', format: (v) => formatBytes(v) },
  { name: 'pausesCount', label: 'pauses', format: (v) => formatCount(Math.round(v)) },
  { name: 'pausedMs', label: 'paused', format: (v) => formatMs(v) },
  { name: 'targetPauses', label: 'node pauses', format: (v) => formatCount(Math.round(v)) },
  { name: 'recordsPerSec', label: 'records/s', format: (v) => formatCount(Math.round(v)) },
  { name: 'ackP99Ms', label: 'ack p99', format: (v) => formatMs(v) },
  { name: 'workerDeaths', label: 'deaths', format: (v) => formatCount(Math.round(v)) },
];

const setLabel = (set: Record<string, string>) =>
  Object.entries(set)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

function cell(setting: BenchSetting, column: (typeof COLUMNS)[number]): string {
  const value = (m: BenchMetrics) => m[column.name];
  const median = value(setting.median);
  if (median === null) return '–';
  const range =
    setting.runs > 1 ? ` (${column.format(value(setting.min)!)}–${column.format(value(setting.max)!)})` : '';
  return `${setting.best.includes(column.name) ? '*' : ''}${column.format(median)}${range}`;
}

/** What the run layer knows of the target's version: a line naming it, and why a key may not apply there. */
export interface BenchTargetNotes {
  targetLine: string;
  keyNote: (key: string) => string | undefined;
}

export function formatBenchTable(
  settings: BenchSetting[],
  wallMs: number,
  interrupted: boolean,
  harper?: BenchTargetNotes,
): string {
  const header = ['setting', 'applied', ...COLUMNS.map((c) => c.label)];
  const rows = settings.map((s) => [
    setLabel(s.set),
    Object.entries(s.applied)
      .map(([k, ok]) => (ok ? 'yes' : `NO (${k})`))
      .join(', ')
      .replace(/^(yes, )*yes$/, 'yes'),
    ...COLUMNS.map((c) => cell(s, c)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  out.push('', 'medians over the repetitions, (min–max); * = best of the column');
  const noisy = COLUMNS.map((c) => {
    const spreads = settings.map((s) => s.spread[c.name]).filter((v): v is number => v !== null);
    return spreads.length ? `${c.label} ±${Math.round((Math.max(...spreads) * 100) / 2)} %` : undefined;
  }).filter(Boolean);
  if (noisy.length) out.push(`noise (largest (max−min)/median / 2 of any setting): ${noisy.join(', ')}`);
  for (const s of settings) {
    const missing = Object.entries(s.applied).filter(([, ok]) => !ok);
    if (missing.length) {
      out.push(
        `warning: ${missing.map(([k]) => k).join(', ')} not applied by the target (unknown key or ignored): the ${setLabel(s.set)} runs ran with the node's default`,
      );
      // What the tool knows of the key per version (bench's read-back above stays the ground truth).
      for (const [key] of missing) {
        const note = harper?.keyNote(key);
        if (note) out.push(`  ${note}`);
      }
    }
  }
  if (harper) out.push(harper.targetLine);
  out.push(`total wall time ${formatMs(wallMs)}${interrupted ? ' — INTERRUPTED: partial results' : ''}`);
  return out.join('\n');
}

export async function writeBenchHtml(
  path: string,
  settings: BenchSetting[],
  table: string,
  force: boolean,
): Promise<void> {
  const { script, style } = uplotAssets();
  const data = {
    labels: settings.map((s) => setLabel(s.set)),
    columns: COLUMNS.map((c) => ({
      name: c.name,
      label: c.label,
      median: settings.map((s) => s.median[c.name]),
      min: settings.map((s) => s.min[c.name]),
      max: settings.map((s) => s.max[c.name]),
    })),
  };
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>harper-replay bench</title>
<style>${style} body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1100px} pre{background:#f6f6f6;padding:12px;font-size:12px;overflow:auto}</style></head><body>
<h1>harper-replay bench</h1><p>Median per setting (bars) with the range over the repetitions (whiskers). Settings: ${data.labels.map((l, i) => `${i + 1} = <code>${escapeHtml(l)}</code>`).join(', ')}.</p>
<div id="charts"></div><h2>Comparison</h2><pre>${escapeHtml(table)}</pre>
<script>${script}</script><script>
const D = ${embedJson(data)};
const xs = D.labels.map((_, i) => i + 1);
for (const c of D.columns) {
  const el = document.createElement('div'); document.getElementById('charts').appendChild(el);
  const whiskers = (u) => { const ctx = u.ctx; ctx.strokeStyle = '#333'; ctx.lineWidth = 2;
    c.min.forEach((lo, i) => { if (lo === null) return; const x = u.valToPos(xs[i], 'x', true);
      ctx.beginPath(); ctx.moveTo(x, u.valToPos(lo, 'y', true)); ctx.lineTo(x, u.valToPos(c.max[i], 'y', true)); ctx.stroke(); }); };
  new uPlot({ title: c.label, width: Math.min(1050, document.body.clientWidth - 10), height: 220, scales: { x: { time: false, range: [0.5, xs.length + 0.5] }, y: { range: (u, lo, hi) => [0, (hi || 1) * 1.1] } },
    hooks: { draw: [whiskers] }, axes: [{ label: 'setting', values: (u, ticks) => ticks.map((t) => Number.isInteger(t) ? t : '') }, {}],
    series: [{}, { label: 'median', stroke: '#1f77b4', fill: 'rgba(31,119,180,0.35)', paths: uPlot.paths.bars({ size: [0.6] }) }] },
    [xs, c.median.map((v) => v ?? 0)], el);
}
document.body.dataset.chartsDrawn = String(document.querySelectorAll('canvas').length);
</script></body></html>`;
  await writeFileAtomic(path, html, force);
}
