/**
 * bench --search's output: what each setting's search found (one line per setting), and an HTML page with a chart
 * of its probes per setting (value against outcome).
 */
import { writeFileAtomic } from '../common/output-files.js';
import type { RateUnit } from '../common/rates.js';
import { formatMs } from '../common/units.js';
import {
  type Confidence,
  formatSearchValue,
  type ProbeOutcome,
  type SearchKey,
} from '../workload/capacity-search.js';
import type { BenchMetrics } from './bench-analysis.js';
import { embedJson, escapeHtml, uplotAssets } from './html-page.js';
import type { UntilTerm } from './search-until.js';

export interface SearchProbeRecord {
  value: number;
  outcome: ProbeOutcome;
  /** Why this value: LOW, HIGH, halving the band, or a repeat near the boundary. */
  why: 'low' | 'high' | 'bisect' | 'repeat';
  /** The run's exit code (its error, if any, in `reason`). */
  exitCode: number;
  /** The --until terms that held (fail), or why the probe is an error. */
  reason: string;
  until: UntilTerm[];
  metrics: BenchMetrics & { oomEvents: number };
  /** The probe's wall time, the node's start and stop included. */
  durationMs: number;
  /** The probe's run in the bench's `runs` (1-based). */
  run: number;
}

export interface SettingSearch {
  /** The --set combination this search ran under ({} without --set). */
  setting: Record<string, string>;
  key: SearchKey;
  /** rate: records/s or frames/s. */
  unit?: RateUnit;
  low: number;
  high: number;
  resolution: number;
  largestPass: number | null;
  smallestFail: number | null;
  confidence: Confidence;
  /** "sure", "noisy: 1 of 4 repeats disagreed", "incomplete: …". */
  confidenceText: string;
  /** The band is down to the resolution (or the boundary lies outside LOW..HIGH). */
  resolved: boolean;
  probes: SearchProbeRecord[];
}

export const settingLabel = (setting: Record<string, string>): string =>
  Object.keys(setting).length
    ? Object.entries(setting)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')
    : '(node defaults)';

/** "REPLICATION_RECORDCONCURRENCY=2: survives 140,000 records/frame; fails at 150,000 records/frame (sure)". */
export function describeSearch(search: SettingSearch): string {
  const value = (v: number) => formatSearchValue(search, v);
  const found =
    search.largestPass === null && search.smallestFail === null
      ? 'no boundary found'
      : search.largestPass === null
        ? `fails already at ${value(search.smallestFail!)} (LOW)`
        : search.smallestFail === null
          ? `survives ${value(search.largestPass)}${search.largestPass === search.high ? ', the whole range' : '; no failure found'}`
          : `survives ${value(search.largestPass)}; fails at ${value(search.smallestFail)}`;
  return `${settingLabel(search.setting)}: ${found} (${search.confidenceText})`;
}

/** The text summary: one line per setting, then the probes' count and time. */
export function formatSearches(searches: SettingSearch[], until: string, wallMs: number): string {
  const probes = searches.reduce((sum, s) => sum + s.probes.length, 0);
  const errors = searches.reduce((sum, s) => sum + s.probes.filter((p) => p.outcome === 'error').length, 0);
  return [
    `capacity search until ${until}:`,
    ...searches.map((search) => `  ${describeSearch(search)}`),
    `${probes} probes${errors ? ` (${errors} never judged: see each probe's reason)` : ''} in ${formatMs(wallMs)}`,
  ].join('\n');
}

const OUTCOME_Y: Record<ProbeOutcome, number> = { pass: 1, fail: 0, error: 0.5 };

/** One chart per setting: every probe at its value, at pass (1), fail (0) or error (½), in probe order. */
export async function writeSearchHtml(
  path: string,
  searches: SettingSearch[],
  text: string,
  force: boolean,
): Promise<void> {
  const { script, style } = uplotAssets();
  const data = searches.map((search) => ({
    title: describeSearch(search),
    axis: formatSearchValue(search, search.high).replace(/^[\d.,]+\s*/, ''),
    probes: [...search.probes]
      .map((probe, i) => ({ x: probe.value, y: OUTCOME_Y[probe.outcome], n: i + 1, outcome: probe.outcome }))
      .sort((a, b) => a.x - b.x),
    pass: search.largestPass,
    fail: search.smallestFail,
  }));
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>harper-replay bench --search</title>
<style>${style} body{font:14px/1.4 system-ui,sans-serif;margin:24px;max-width:1100px} pre{background:#f6f6f6;padding:12px;font-size:12px;overflow:auto}</style></head><body>
<h1>harper-replay capacity search</h1><p>Each probe at its value: pass at the top, fail at the bottom, error (never judged) in the middle; the number is the probe's order. The dashed lines are the largest pass and the smallest fail.</p>
<div id="charts"></div><h2>Summary</h2><pre>${escapeHtml(text)}</pre>
<script>${script}</script><script>
const D = ${embedJson(data)};
const colour = { pass: '#2ca02c', fail: '#d62728', error: '#7f7f7f' };
for (const s of D) {
  const el = document.createElement('div'); el.className = 'search-chart'; document.getElementById('charts').appendChild(el);
  const xs = s.probes.map((p) => p.x);
  const marks = (u) => { const ctx = u.ctx; ctx.font = '11px sans-serif';
    for (const p of s.probes) { const x = u.valToPos(p.x, 'x', true), y = u.valToPos(p.y, 'y', true);
      ctx.fillStyle = colour[p.outcome]; ctx.beginPath(); ctx.arc(x, y, 6, 0, 2 * Math.PI); ctx.fill(); ctx.fillText(String(p.n), x + 8, y - 8); }
    ctx.setLineDash([5, 4]); ctx.lineWidth = 1.5;
    for (const [v, c] of [[s.pass, colour.pass], [s.fail, colour.fail]]) { if (v === null) continue;
      const x = u.valToPos(v, 'x', true); ctx.strokeStyle = c; ctx.beginPath(); ctx.moveTo(x, u.bbox.top); ctx.lineTo(x, u.bbox.top + u.bbox.height); ctx.stroke(); }
    ctx.setLineDash([]); };
  const lo = Math.min(...xs), hi = Math.max(...xs), pad = (hi - lo) * 0.05 || 1;
  new uPlot({ title: s.title, width: Math.min(1050, document.body.clientWidth - 10), height: 220,
    scales: { x: { time: false, range: [lo - pad, hi + pad] }, y: { range: [-0.3, 1.3] } }, hooks: { draw: [marks] },
    axes: [{ label: s.axis }, { values: (u, ticks) => ticks.map((t) => t === 1 ? 'pass' : t === 0 ? 'fail' : t === 0.5 ? 'error' : '') , splits: () => [0, 0.5, 1] }],
    series: [{}, { label: 'probes', stroke: 'transparent', points: { show: false } }] },
    [xs, s.probes.map((p) => p.y)], el);
}
document.body.dataset.chartsDrawn = String(document.querySelectorAll('canvas').length);
document.body.dataset.probesDrawn = String(D.reduce((n, s) => n + s.probes.length, 0));
</script></body></html>`;
  await writeFileAtomic(path, html, force);
}
