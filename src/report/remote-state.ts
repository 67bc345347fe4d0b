/**
 * The target as Harper itself reports it: its version and what the tool verified for it (run-start), why it closed
 * connections (close code and reason → a cause), and its replication links from cluster_status samples. A field no
 * sample ever carried is "not available" (null, and listed), never zero: 4.7.29 has no blobReplicationFailures,
 * lastBlobFailure, lastConnectionError, lastLiveness (seen live). Harper Pro 5.x omits blobReplicationFailures while it is 0
 * (harper-pro d2a193f replication/clusterStatus.ts:68 `|| undefined`), so there an absent count reads as 0.
 */
import type { ClusterLink, RunEvent, TargetInfo } from '../events/schema.js';
import { explainClose } from '../protocol/close-reasons.js';

/** Fields reported per link (the keys of ClusterLink other than node and database). */
const LINK_FIELDS = [
  'connected',
  'backPressurePercent',
  'lastReceivedStatus',
  'lastCommitConfirmed',
  'lastReceivedVersion',
  'lastReceivedRemoteTime',
  'sendingMessage',
  'blobReplicationFailures',
  'lastBlobFailure',
  'lastLiveness',
  'lastConnectionError',
] as const;

/** A link's name in the report: `member → node/database` when sampled on a member, `node/database` on the target. */
export const linkName = (link: ClusterLink, member: string | undefined): string =>
  `${member ? `${member} → ` : ''}${link.node}/${link.database}`;

export interface LinkSummary {
  /** `member → node/database` when sampled on a member; `node/database` on the target. */
  link: string;
  samples: number;
  /** Last value each field had (null: never reported on this link). */
  connected: boolean | null;
  backPressurePercentMax: number | null;
  lastReceivedStatus: string | null;
  /** Share of samples the link said `Receiving` (null: status never reported). */
  receivingShare: number | null;
  lastCommitConfirmed: string | null;
  lastReceivedVersion: number | null;
  lastReceivedRemoteTime: string | null;
  blobReplicationFailures: number | null;
  lastConnectionError: { code?: number; time?: string } | null;
}

export interface RemoteStateSummary {
  version: string | null;
  verification: string;
  verified: string[];
  /** Sockets that closed other than normally (1000/1001/1005), by code and reason, with their cause when known. */
  closes: Array<{ code: number; reason: string; count: number; cause: string | null }>;
  clusterStatus: {
    samples: number;
    failed: number;
    /** Fields no sample carried on any link: this version does not report them. */
    notAvailable: string[];
    links: LinkSummary[];
    /** Largest backPressurePercent of any link (null: not reported). */
    backPressurePercentMax: number | null;
  } | null;
}

interface LinkState {
  samples: number;
  receiving: number;
  statuses: number;
  last: Partial<ClusterLink>;
  backPressureMax: number | null;
}

export class RemoteStateAnalysis {
  private target?: TargetInfo;
  private samples = 0;
  private failed = 0;
  private readonly seen = new Set<string>();
  private readonly links = new Map<string, LinkState>();
  private readonly closes = new Map<string, { code: number; reason: string; count: number }>();

  readonly sink = (event: RunEvent): void => {
    if (event.type === 'run-start') this.target = event.target;
    else if (event.type === 'connection' && event.event === 'closed' && event.code !== undefined)
      this.noteClose(event.code, event.reason ?? '');
    else if (event.type === 'sample' && event.sample.kind === 'cluster-status') {
      this.samples++;
      if (!event.sample.ok) this.failed++;
      for (const link of event.sample.links) this.noteLink(link, event.member);
    }
  };

  private noteClose(code: number, reason: string): void {
    // 1000/1001 are ordinary ends (the tool's own close, a node shutting down).
    if (code === 1000 || code === 1001 || code === 1005) return;
    const key = `${code} ${reason}`;
    const entry = this.closes.get(key) ?? { code, reason, count: 0 };
    entry.count++;
    this.closes.set(key, entry);
  }

  private noteLink(link: ClusterLink, member: string | undefined): void {
    const name = linkName(link, member);
    const state = this.links.get(name) ?? {
      samples: 0,
      receiving: 0,
      statuses: 0,
      last: {},
      backPressureMax: null,
    };
    state.samples++;
    for (const field of LINK_FIELDS) {
      if (link[field] === undefined) continue;
      this.seen.add(field);
      (state.last as Record<string, unknown>)[field] = link[field];
    }
    if (link.lastReceivedStatus !== undefined) {
      state.statuses++;
      if (link.lastReceivedStatus === 'Receiving') state.receiving++;
    }
    if (link.backPressurePercent !== undefined)
      state.backPressureMax = Math.max(state.backPressureMax ?? 0, link.backPressurePercent);
    this.links.set(name, state);
  }

  summary(): RemoteStateSummary {
    const harper = this.target?.harper;
    return {
      version: harper?.version ?? null,
      verification: harper?.verification ?? 'unknown',
      verified: harper?.verified ?? [],
      closes: [...this.closes.values()].map((c) => ({ ...c, cause: explainClose(c.code, c.reason) ?? null })),
      clusterStatus: this.samples ? this.clusterSummary(harper?.family) : null,
    };
  }

  private clusterSummary(family: string | undefined): NonNullable<RemoteStateSummary['clusterStatus']> {
    // 5.x reports the failure count only while it is non-zero: its absence there means none.
    const zeroWhenAbsent = family === '5.x' ? new Set(['blobReplicationFailures']) : new Set<string>();
    const notAvailable = LINK_FIELDS.filter((f) => !this.seen.has(f) && !zeroWhenAbsent.has(f));
    const links = [...this.links].map(([link, s]): LinkSummary => {
      const last = s.last;
      return {
        link,
        samples: s.samples,
        connected: last.connected ?? null,
        backPressurePercentMax: s.backPressureMax,
        lastReceivedStatus: last.lastReceivedStatus ?? null,
        receivingShare: s.statuses ? s.receiving / s.statuses : null,
        lastCommitConfirmed: last.lastCommitConfirmed ?? null,
        lastReceivedVersion: last.lastReceivedVersion ?? null,
        lastReceivedRemoteTime: last.lastReceivedRemoteTime ?? null,
        blobReplicationFailures:
          last.blobReplicationFailures ?? (zeroWhenAbsent.has('blobReplicationFailures') ? 0 : null),
        lastConnectionError: last.lastConnectionError ?? null,
      };
    });
    const maxes = links.map((l) => l.backPressurePercentMax).filter((v): v is number => v !== null);
    return {
      samples: this.samples,
      failed: this.failed,
      notAvailable,
      links,
      backPressurePercentMax: maxes.length ? Math.max(...maxes) : null,
    };
  }
}
