/**
 * `--html FILE`: one self-contained page (no network: uPlot's script and styles are inlined) with the target's RSS
 * and worker heap over time, sent and committed throughput, pause episodes shaded on the time axis, the
 * ack-latency distribution, with --fan-out each member's throughput and memory, and each replication link's
 * cluster_status (html-cluster.ts), above the same numbers as the text summary.
 */
import { writeFileAtomic } from '../common/output-files.js';
import { formatComparison } from './comparison.js';
import { CLUSTER_CHART_SCRIPT, clusterSection } from './html-cluster.js';
import { embedJson, escapeHtml, uplotAssets } from './html-page.js';
import type { RunResult } from './result.js';
import type { Series } from './series.js';
import { formatRunSummary } from './text-summary.js';

export function renderHtmlReport(result: RunResult, series: Series): string {
  const { script, style } = uplotAssets();
  const data = {
    series,
    episodes: result.pauses.episodes.map((e) => ({
      start: (e.startedAt - series.origin) / 1000,
      end: (e.startedAt + e.durationMs - series.origin) / 1000,
      cause: e.cause,
    })),
    // Worker deaths (a burst of dropped streams) and the first and last re-subscription after each.
    deaths: result.herd.deaths.map((d) => ({
      at: (d.at - series.origin) / 1000,
      first: d.firstMs === null ? null : (d.at + d.firstMs - series.origin) / 1000,
      last: d.lastMs === null ? null : (d.at + d.lastMs - series.origin) / 1000,
    })),
    // A scheduled run: the intended records/s, stage by stage (linear within a stage), on the same clock.
    intended: intendedRate(result, series.origin),
    // Ack stalls (the longest, at most 20): frames waiting and the committed cursor standing still.
    ackStalls: result.acks.episodes.map((e) => ({
      start: (e.startedAt - series.origin) / 1000,
      end: (e.startedAt + e.durationMs - series.origin) / 1000,
      open: e.open,
    })),
  };
  const title = `harper-replay ${result.command} — ${result.outcome}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${style}
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px} h2{font-size:16px;margin-top:28px} pre{background:#f6f6f6;padding:12px;overflow:auto;font-size:12px}
.legend-note{color:#666;font-size:12px} .chart{margin:8px 0 16px}
table.links{border-collapse:collapse;font-size:12px} .links th,.links td{border:1px solid #ddd;padding:3px 6px;text-align:left} .links td.na{color:#999}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="legend-note">Shaded: stall episodes (orange = flow control, target responsive; red = blocked, target unresponsive). Solid dark red line: a worker death (streams dropped); green dashed: the first and last re-subscription after it. Grey band along the bottom of the throughput chart: an ack stall (frames waiting for their ack, the committed cursor still for ${result.acks.minStallMs} ms or more; dark grey: never acked). Time axis: seconds since the target was ready.</p>
<h2>Target memory</h2><div id="memory" class="chart"></div>
<h2>Throughput (records per second)</h2><div id="throughput" class="chart"></div>
<h2>Ack latency distribution</h2><div id="latency" class="chart"></div>
${series.members ? `<h2>Cluster members (--fan-out; the charts above are the target's, ${escapeHtml(series.members[0]?.nodeName ?? '')})</h2><div id="members" class="chart"></div>` : ''}
${clusterSection(result.remote, series)}
<h2>Summary</h2><pre>${escapeHtml(formatRunSummary(result))}</pre>
${result.comparison ? `<h2>Compared with the baseline</h2><pre>${escapeHtml(formatComparison(result.comparison))}</pre>` : ''}
<script>${script}</script>
<script>
const DATA = ${embedJson(data)};
(function () {
  const s = DATA.series, bin = s.binMs / 1000, MiB = 1048576;
  const width = Math.min(1050, document.body.clientWidth - 10);
  const shade = (u) => {
    const ctx = u.ctx;
    for (const e of DATA.episodes) {
      const x0 = u.valToPos(e.start, 'x', true), x1 = u.valToPos(e.end, 'x', true);
      ctx.fillStyle = e.cause === 'blocked' ? 'rgba(220,40,40,0.18)' : 'rgba(255,160,0,0.22)';
      ctx.fillRect(x0, u.bbox.top, Math.max(1, x1 - x0), u.bbox.height);
    }
    const line = (x, color, dash) => {
      const px = u.valToPos(x, 'x', true);
      ctx.save(); ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.setLineDash(dash);
      ctx.beginPath(); ctx.moveTo(px, u.bbox.top); ctx.lineTo(px, u.bbox.top + u.bbox.height); ctx.stroke(); ctx.restore();
    };
    for (const d of DATA.deaths) {
      line(d.at, '#b00020', []);
      if (d.first !== null) line(d.first, '#2e7d32', [6, 4]);
      if (d.last !== null && d.last !== d.first) line(d.last, '#2e7d32', [2, 3]);
    }
  };
  const hooks = { drawClear: [shade] };
  const stallBand = (u) => {
    const ctx = u.ctx, height = 10 * devicePixelRatio;
    for (const a of DATA.ackStalls) {
      const x0 = u.valToPos(a.start, 'x', true), x1 = u.valToPos(a.end, 'x', true);
      ctx.fillStyle = a.open ? 'rgba(60,60,60,0.7)' : 'rgba(120,120,120,0.45)';
      ctx.fillRect(x0, u.bbox.top + u.bbox.height - height, Math.max(1, x1 - x0), height);
    }
  };
  const colors = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
  // Memory: /proc RSS per bin, system_information RSS and worker heaps at their own times, on one x axis.
  // Another member's chart has no /proc line and no shading: both are the target's.
  const memoryChart = (element, title, procRss, sysinfo, targetChart) => {
    const times = new Set();
    procRss.forEach((v, i) => { if (v !== null) times.add(+(i * bin).toFixed(3)); });
    sysinfo.forEach((p) => times.add(+(p.t / 1000).toFixed(3)));
    const xs = [...times].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const procCol = xs.map(() => null), siCol = xs.map(() => null);
    procRss.forEach((v, i) => { if (v !== null) procCol[index.get(+(i * bin).toFixed(3))] = v / MiB; });
    const threadIds = [...new Set(sysinfo.flatMap((p) => Object.keys(p.heap)))];
    const heapCols = threadIds.map(() => xs.map(() => null));
    const externalIds = [...new Set(sysinfo.flatMap((p) => Object.keys(p.external ?? {})))];
    const externalCols = externalIds.map(() => xs.map(() => null));
    sysinfo.forEach((p) => {
      const i = index.get(+(p.t / 1000).toFixed(3));
      if (p.rss !== null) siCol[i] = p.rss / MiB;
      threadIds.forEach((id, k) => { if (p.heap[id] !== undefined) heapCols[k][i] = p.heap[id] / MiB; });
      externalIds.forEach((id, k) => { const v = (p.external ?? {})[id]; if (v !== undefined) externalCols[k][i] = v / MiB; });
    });
    const proc = targetChart ? [{ label: 'RSS (/proc, 20 ms)', stroke: '#d62728', spanGaps: true }] : [];
    return new uPlot({
      title, width, height: 300, hooks: targetChart ? hooks : {}, scales: { x: { time: false } },
      series: [{}, ...proc,
        { label: 'RSS (system_information)', stroke: '#ff7f0e', spanGaps: true, dash: [4, 4] },
        ...threadIds.map((id, k) => ({ label: 'heap thread ' + id, stroke: colors[k % colors.length], spanGaps: true })),
        ...externalIds.map((id, k) => ({ label: 'external thread ' + id, stroke: colors[k % colors.length], spanGaps: true, dash: [2, 3] }))],
      axes: [{ label: 's' }, { label: 'MiB' }],
    }, [xs, ...(targetChart ? [procCol] : []), siCol, ...heapCols, ...externalCols], element);
  };
  // The charts by name, for a look in the browser's console (and for the tests, which open the page in Chromium).
  const charts = window.harperReplayCharts = {};
  charts.memory = memoryChart(document.getElementById('memory'), 'RSS, worker heap and external memory (MiB)', s.procRss, s.sysinfo, true);
  const n = Math.max(s.sentRecords.length, s.committedRecords.length);
  const tx = Array.from({ length: n }, (_, i) => +(i * bin).toFixed(3));
  const rate = (list) => tx.map((_, i) => (list[i] || 0) / bin);
  // The intended rate at x: linear within each stage, 0 outside the schedule.
  const intendedAt = (x) => {
    let start = DATA.intended.start;
    for (const st of DATA.intended.stages) {
      if (x >= start && x < start + st.seconds) return st.from + ((st.to - st.from) * (x - start)) / st.seconds;
      start += st.seconds;
    }
    return 0;
  };
  const intended = DATA.intended ? [{ label: 'intended', stroke: '#555', dash: [6, 4] }] : [];
  charts.throughput = new uPlot({
    title: 'Sent and committed records/s' + (DATA.intended ? ' against the intended rate' : ''), width, height: 260, hooks: { drawClear: [shade, stallBand] }, scales: { x: { time: false } },
    series: [{}, { label: 'sent', stroke: '#1f77b4', fill: 'rgba(31,119,180,0.1)' }, { label: 'committed', stroke: '#2ca02c' }, ...intended],
    axes: [{ label: 's' }, { label: 'records/s' }],
  }, [tx, rate(s.sentRecords), rate(s.committedRecords), ...(DATA.intended ? [tx.map((x) => intendedAt(x + bin / 2))] : [])], document.getElementById('throughput'));
  // Latency distribution: equal-width bars between the fastest and the slowest ack (made in series.ts).
  const lat = s.ackLatency;
  charts.latency = new uPlot({
    title: 'Frames by ack latency (' + lat.frames + ' frames)', width, height: 240,
    scales: { x: { time: false } },
    series: [{ label: 'ms' }, { label: 'frames', stroke: '#9467bd', fill: 'rgba(148,103,189,0.4)', paths: uPlot.paths.bars({ size: [0.9] }) }],
    axes: [{ label: 'ack latency (ms)' }, { label: 'frames' }],
  }, [lat.barMs, lat.counts], document.getElementById('latency'));
  // --fan-out: committed records/s of every member on one chart, then each sampled member's memory.
  if (s.members) {
    const section = document.getElementById('members');
    const add = (tag, text) => { const e = document.createElement(tag); if (text) e.textContent = text; section.appendChild(e); return e; };
    const n = Math.max(0, ...s.members.map((m) => m.committedRecords.length));
    const mx = Array.from({ length: n }, (_, i) => +(i * bin).toFixed(3));
    charts.members = new uPlot({
      title: 'Committed records/s per member', width, height: 260, scales: { x: { time: false } },
      series: [{}, ...s.members.map((m, k) => ({ label: m.nodeName, stroke: colors[k % colors.length] }))],
      axes: [{ label: 's' }, { label: 'records/s' }],
    }, [mx, ...s.members.map((m) => mx.map((_, i) => (m.committedRecords[i] || 0) / bin))], add('div'));
    for (const m of s.members.slice(1)) {
      if (!m.sampled) { add('p', m.nodeName + ': not sampled (no operations API; pass --member URL)'); continue; }
      const chart = add('div');
      chart.className = 'chart';
      charts['memory ' + m.nodeName] = memoryChart(chart, m.nodeName + ': RSS and worker heap (MiB, system_information)', [], m.sysinfo, false);
    }
  }
${CLUSTER_CHART_SCRIPT}
  document.body.dataset.deathsMarked = String(DATA.deaths.length);
  document.body.dataset.ackStallsMarked = String(DATA.ackStalls.length);
  document.body.dataset.chartsDrawn = String(document.querySelectorAll('canvas').length);
})();
</script></body></html>
`;
}

/** A scheduled run's intended records/s per stage, from when its schedule started (s on the series' clock). */
function intendedRate(
  result: RunResult,
  origin: number,
): { start: number; stages: Array<{ seconds: number; from: number; to: number }> } | null {
  const schedule = result.schedule;
  if (!schedule || schedule.startedAt === null) return null;
  return {
    start: (schedule.startedAt - origin) / 1000,
    stages: schedule.stages.map((stage) => ({
      seconds: stage.durationMs / 1000,
      from: stage.from * schedule.recordsPerUnit,
      to: stage.to * schedule.recordsPerUnit,
    })),
  };
}

/** Written whole under a temporary name, then renamed: a page cut short never looks finished. */
export async function writeHtmlReport(
  path: string,
  result: RunResult,
  series: Series,
  force: boolean,
): Promise<void> {
  await writeFileAtomic(path, renderHtmlReport(result, series), force);
}
