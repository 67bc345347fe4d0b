/**
 * Worker deaths, reconnects and errors: thread ids that disappear from system_information, OOMs and errors in the
 * target's log, and the streams the target dropped and re-opened (with the cursor it resumed from).
 */
import type { LogMatchKind, RunEvent } from '../events/schema.js';

export interface WorkerSummary {
  /** Worker deaths: the larger of thread ids seen to disappear and OOM events in the log. */
  deaths: number;
  oomEvents: number;
  /** Thread ids that disappeared from system_information. */
  threadsGone: number[];
  reconnects: number;
  /**
   * The target's own receive watchdog ending a silent or stalled link to reconnect (Harper Pro 5.x log line, read from
   * the source; 4.7.29 has no such watchdog, so there it stays 0).
   */
  watchdogReconnects: number;
  resumes: Array<{ at: number; startTime: number; fromFrame: number }>;
  /** Loaded connections the target closed abnormally (1006 and friends), with their codes. */
  droppedConnections: Array<{ at: number; code: number | null; reason: string }>;
  logErrors: {
    oom: number;
    uncaught: number;
    blobSaveFailed: number;
    replicationError: number;
    /** The first few matching log lines, as the target wrote them. */
    first: Array<{ kind: LogMatchKind; at?: string; line: string }>;
  };
  /** What the target logged about blobs, whatever the line's kind (4.7.29 logs blob failures as uncaughtException). */
  blobLines: { blobError: number; blobTimeout: number; blobSaveFailed: number };
  targetExited: boolean;
  /** --target-fault: how many times the faults fired (their log lines); null without target faults. */
  targetFaultsFired: number | null;
  /** Most worker threads system_information listed at once (null: never sampled). */
  maxThreads: number | null;
}

/** Blob failures as the receiver words them (4.7.29: resources/blob.ts; 5.x adds "Blob save failed"). */
const BLOB_LINES: Array<[keyof WorkerSummary['blobLines'], RegExp]> = [
  ['blobError', /Blob error/],
  ['blobTimeout', /Timeout waiting for blob stream/],
  ['blobSaveFailed', /Blob save failed/],
];

export class WorkerAnalysis {
  private readonly seen = new Set<number>();
  private current = new Set<number>();
  private readonly gone = new Set<number>();
  private readonly resumes: WorkerSummary['resumes'] = [];
  private readonly dropped: WorkerSummary['droppedConnections'] = [];
  private readonly loaded = new Set<number>();
  private readonly counts = { oom: 0, uncaught: 0, blobSaveFailed: 0, replicationError: 0 };
  private readonly first: WorkerSummary['logErrors']['first'] = [];
  private readonly blobLines: WorkerSummary['blobLines'] = {
    blobError: 0,
    blobTimeout: 0,
    blobSaveFailed: 0,
  };
  private exited = false;
  /** From the cleaning-up phase on, closes are the tool's doing (remove_node drops its connections: 1006). */
  private cleaningUp = false;
  private faultsFired: number | null = null;
  private watchdogReconnects = 0;
  private maxThreads: number | null = null;

  readonly sink = (event: RunEvent): void => {
    switch (event.type) {
      case 'sample':
        if (event.sample.kind === 'sysinfo') this.onThreads(event.sample.threads.map((t) => t.threadId));
        break;
      case 'resume':
        this.resumes.push({ at: event.t, startTime: event.startTime, fromFrame: event.fromFrame });
        break;
      case 'connection':
        if (event.event === 'streaming') this.loaded.add(event.socketId);
        if (
          event.event === 'closed' &&
          this.loaded.has(event.socketId) &&
          event.code !== 1000 &&
          !this.cleaningUp
        ) {
          this.dropped.push({ at: event.t, code: event.code ?? null, reason: event.reason ?? '' });
        }
        break;
      case 'run-start':
        if (event.target.faults?.length) this.faultsFired ??= 0;
        break;
      case 'phase':
        if (event.phase === 'cleaning-up') this.cleaningUp = true;
        break;
      case 'log-match': {
        if (event.kind === 'fault-fired') {
          this.faultsFired = (this.faultsFired ?? 0) + 1;
          break;
        }
        if (event.kind === 'watchdog-reconnect') this.watchdogReconnects++;
        this.onBlobLine(event.line);
        const key = {
          oom: 'oom',
          uncaught: 'uncaught',
          'blob-save-failed': 'blobSaveFailed',
          'replication-error': 'replicationError',
        }[event.kind as string] as keyof typeof this.counts | undefined;
        if (!key) break;
        this.counts[key]++;
        if (this.first.length < 10) {
          this.first.push(
            event.at
              ? { kind: event.kind, at: event.at, line: event.line }
              : { kind: event.kind, line: event.line },
          );
        }
        break;
      }
      case 'target-exited':
        this.exited = true;
        break;
      default:
        break;
    }
  };

  private onBlobLine(line: string): void {
    for (const [key, pattern] of BLOB_LINES) if (pattern.test(line)) this.blobLines[key]++;
  }

  private onThreads(ids: number[]): void {
    const now = new Set(ids);
    for (const id of this.current) if (!now.has(id)) this.gone.add(id);
    for (const id of ids) this.seen.add(id);
    this.current = now;
    this.maxThreads = Math.max(this.maxThreads ?? 0, now.size);
  }

  summary(): WorkerSummary {
    return {
      deaths: Math.max(this.gone.size, this.counts.oom),
      oomEvents: this.counts.oom,
      threadsGone: [...this.gone],
      reconnects: this.resumes.length,
      watchdogReconnects: this.watchdogReconnects,
      resumes: this.resumes,
      droppedConnections: this.dropped,
      logErrors: { ...this.counts, first: this.first },
      blobLines: { ...this.blobLines },
      targetExited: this.exited,
      targetFaultsFired: this.faultsFired,
      maxThreads: this.maxThreads,
    };
  }
}
