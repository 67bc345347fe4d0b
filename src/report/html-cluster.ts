/**
 * The HTML report's replication-links section (cluster_status): a chart of each link's backPressurePercent over time
 * with the age of its lastReceivedVersion on a second axis, and a table of each link's last state. A field the
 * target's version never reported reads "n/a", never 0.
 */
import { escapeHtml } from './html-page.js';
import type { LinkSummary, RemoteStateSummary } from './remote-state.js';
import type { Series } from './series.js';

type ClusterStatus = NonNullable<RemoteStateSummary['clusterStatus']>;

const NOT_AVAILABLE = 'n/a';

/** Table columns: heading, the cluster_status field it shows (for "not available"), and the cell text. */
const COLUMNS: Array<[heading: string, field: string | null, cell: (link: LinkSummary) => string | null]> = [
  ['link', null, (l) => l.link],
  ['samples', null, (l) => String(l.samples)],
  ['connected', 'connected', (l) => (l.connected === null ? null : l.connected ? 'yes' : 'NO')],
  [
    'back-pressure max %',
    'backPressurePercent',
    (l) => (l.backPressurePercentMax === null ? null : String(l.backPressurePercentMax)),
  ],
  ['last status', 'lastReceivedStatus', (l) => l.lastReceivedStatus],
  [
    'Receiving share',
    'lastReceivedStatus',
    (l) => (l.receivingShare === null ? null : `${Math.round(l.receivingShare * 100)} %`),
  ],
  ['last commit confirmed', 'lastCommitConfirmed', (l) => l.lastCommitConfirmed],
  [
    'last received version',
    'lastReceivedVersion',
    (l) => (l.lastReceivedVersion === null ? null : String(l.lastReceivedVersion)),
  ],
  ['last received (remote time)', 'lastReceivedRemoteTime', (l) => l.lastReceivedRemoteTime],
  [
    'blob failures',
    'blobReplicationFailures',
    (l) => (l.blobReplicationFailures === null ? null : String(l.blobReplicationFailures)),
  ],
  [
    'last connection error',
    'lastConnectionError',
    (l) =>
      l.lastConnectionError === null
        ? null
        : `${l.lastConnectionError.code ?? '?'} at ${l.lastConnectionError.time ?? '?'}`,
  ],
];

function linksTable(cluster: ClusterStatus): string {
  const head = COLUMNS.map(([heading]) => `<th>${escapeHtml(heading)}</th>`).join('');
  const rows = cluster.links.map((link) => {
    const cells = COLUMNS.map(([, field, cell]) => {
      const text = cell(link);
      if (text !== null) return `<td>${escapeHtml(text)}</td>`;
      // Never reported on any link: this version lacks the field. Otherwise this link alone never sent it.
      const why =
        field && cluster.notAvailable.includes(field)
          ? 'not reported by this version'
          : 'not reported on this link';
      return `<td class="na" title="${why}">${NOT_AVAILABLE}</td>`;
    });
    return `<tr>${cells.join('')}</tr>`;
  });
  return `<table class="links"><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The section's markup, or '' when the run took no cluster_status sample. */
export function clusterSection(remote: RemoteStateSummary | undefined, series: Series): string {
  const cluster = remote?.clusterStatus;
  if (!cluster) return '';
  const failed = cluster.failed ? `, ${cluster.failed} failed` : '';
  const chart = series.clusterLinks.length ? '<div id="cluster" class="chart"></div>' : '';
  const notAvailable = cluster.notAvailable.length
    ? `<p class="legend-note">Not reported by ${escapeHtml(remote.version ?? 'this version')}: ${escapeHtml(cluster.notAvailable.join(', '))} (n/a in the table).</p>`
    : '';
  return `<h2>Replication links (cluster_status: ${cluster.samples} samples${failed}, ${cluster.links.length} links)</h2>
${chart}
${cluster.links.length ? linksTable(cluster) : '<p>No replication link in any answer.</p>'}
${notAvailable}`;
}

/** Page-script fragment drawing the chart (uses the page script's s, width, colors, charts). */
export const CLUSTER_CHART_SCRIPT = `
  if (s.clusterLinks.length && document.getElementById('cluster')) {
    const ts = [...new Set(s.clusterLinks.flatMap((l) => l.points.map((p) => +(p.t / 1000).toFixed(3))))].sort((a, b) => a - b);
    const at = new Map(ts.map((x, i) => [x, i]));
    const column = (link, value) => {
      const col = ts.map(() => null);
      for (const p of link.points) col[at.get(+(p.t / 1000).toFixed(3))] = value(p);
      return col;
    };
    const withAge = s.clusterLinks.filter((l) => l.points.some((p) => p.versionAgeMs !== null));
    charts.cluster = new uPlot({
      title: 'Back-pressure % per link' + (withAge.length ? ' and age of its last received version (s, dashed)' : ''),
      width, height: 260, scales: { x: { time: false }, pct: { range: [0, 100] }, age: {} },
      series: [{},
        ...s.clusterLinks.map((l, k) => ({ label: l.link + ' back-pressure %', stroke: colors[k % colors.length], scale: 'pct', spanGaps: true })),
        ...withAge.map((l) => ({ label: l.link + ' version age s', stroke: colors[s.clusterLinks.indexOf(l) % colors.length], scale: 'age', dash: [5, 4], spanGaps: true }))],
      axes: [{ label: 's' }, { label: 'back-pressure %', scale: 'pct' }, ...(withAge.length ? [{ label: 'age s', scale: 'age', side: 1, grid: { show: false } }] : [])],
    }, [ts,
      ...s.clusterLinks.map((l) => column(l, (p) => p.backPressurePercent)),
      ...withAge.map((l) => column(l, (p) => (p.versionAgeMs === null ? null : p.versionAgeMs / 1000)))],
    document.getElementById('cluster'));
  }
`;
