/** The summary's rows about the target as Harper reports it: version, close causes, cluster_status links. */
import { formatCount } from '../common/units.js';
import type { LinkSummary, RemoteStateSummary } from './remote-state.js';

export type Row = [label: string, text: string];

function describeLink(link: LinkSummary): string {
  const parts = [
    link.connected === null ? undefined : link.connected ? 'connected' : 'DISCONNECTED',
    link.backPressurePercentMax === null ? undefined : `back-pressure max ${link.backPressurePercentMax} %`,
    link.receivingShare === null
      ? undefined
      : `Receiving in ${Math.round(link.receivingShare * 100)} % of samples`,
    link.lastCommitConfirmed === null ? undefined : `last commit confirmed ${link.lastCommitConfirmed}`,
    link.blobReplicationFailures ? `${formatCount(link.blobReplicationFailures)} blob failures` : undefined,
    link.lastConnectionError
      ? `last connection error ${link.lastConnectionError.code ?? '?'} at ${link.lastConnectionError.time ?? '?'}`
      : undefined,
  ].filter(Boolean);
  return `${link.link}: ${parts.join(', ') || 'no fields'}`;
}

export function remoteRows(remote: RemoteStateSummary | undefined): Row[] {
  if (!remote) return [];
  const rows: Row[] = [
    [
      'harper',
      `${remote.version ?? 'version unknown'} (${remote.verification}${remote.verified.length ? `: ${remote.verified.join('; ')}` : ''})`,
    ],
  ];
  for (const close of remote.closes)
    rows.push([
      'socket closes',
      `${close.count}× ${close.code} ${close.reason || '(no reason)'}${close.cause ? ` — ${close.cause}` : ''}`,
    ]);
  const cluster = remote.clusterStatus;
  if (cluster) {
    const failed = cluster.failed ? `, ${formatCount(cluster.failed)} failed` : '';
    rows.push([
      'cluster_status',
      `${formatCount(cluster.samples)} samples${failed}, ${cluster.links.length} links`,
    ]);
    for (const link of cluster.links.slice(0, 8)) rows.push(['', describeLink(link)]);
    if (cluster.notAvailable.length)
      rows.push(['', `not available on this version: ${cluster.notAvailable.join(', ')}`]);
  }
  return rows;
}
