/**
 * What the phases of one load run share: the options and workload, the bus and the result it folds into, what the
 * phases found (target, members, streams, session, samplers) and how the run is ending (outcome, exit code,
 * error). The phases themselves are in load-phases.ts; runLoad (load-run.ts) calls them in order.
 */
import { ExitCode, type ExitCodeValue } from '../common/errors.js';
import { newToolNodeName } from '../common/tool-node-name.js';
import { MetricsBus } from '../events/metrics-bus.js';
import type { CleanupReport, RunOutcome, StreamPlan } from '../events/schema.js';
import type { OperationsClient } from '../harper/operations-client.js';
import type { TargetSamplers } from '../harper/samplers.js';
import type { HerdDeath } from '../report/herd-analysis.js';
import { ResultBuilder, type RunResult } from '../report/result.js';
import type { AckTracker } from '../session/ack-tracker.js';
import type { ChannelProvider, StreamRoute } from '../session/channel.js';
import { toolNodeNameFor } from '../session/peer-pki.js';
import type { ReplicationSocket } from '../session/replication-socket.js';
import { framesToSend } from '../workload/open-ended-source.js';
import type { FrameSource } from '../workload/synthetic.js';
import type { LoadRunOptions, LoadWorkload } from './load-options.js';
import type { Member } from './members.js';
import type { ResolvedTarget } from './target.js';

/** One stream of the run: where it goes and what of it was committed. */
export interface StreamSlot {
  plan: StreamPlan;
  route: StreamRoute;
  tracker: AckTracker;
  /** What this stream sends. */
  source: FrameSource;
  /** Prefix of this stream's messages ('' when it is the only one). */
  prefix: string;
}

export class LoadContext {
  readonly bus: MetricsBus;
  readonly log: (message: string) => void;
  readonly toolNodeName: string;
  readonly databases: string[];
  /** Aborts the streams when the user interrupts or the local target process dies. */
  readonly stop = new AbortController();
  private readonly builder = new ResultBuilder();
  private readonly onUserAbort = () => this.stop.abort();

  source?: FrameSource;
  /** One source per database, when the workload has them (else `source` goes into every database). */
  sourceByDatabase?: ReadonlyMap<string, FrameSource>;
  target?: ResolvedTarget;
  members: Member[] = [];
  streams: StreamSlot[] = [];
  session?: ChannelProvider & { registered?: boolean };
  samplers: TargetSamplers[] = [];
  /** The open socket of each stream, by id (its tool-side queue is sampled). */
  readonly sockets = new Map<number, ReplicationSocket>();
  /** End of the memory baseline window before the first frame (epoch ms). */
  baselineUntil = 0;
  /** Why the local target was lost mid-run, when it was. */
  targetLost?: string;
  /** Why the run's own stop rule ended the streams early (--until-resubscribed), when it did. */
  stoppedBy?: string;

  outcome: RunOutcome = 'complete';
  exitCode: ExitCodeValue = ExitCode.OK;
  error?: string;
  readonly cleanup: CleanupReport = { removedFromTarget: null, targetStopped: false };

  constructor(
    readonly options: LoadRunOptions,
    readonly load: LoadWorkload,
  ) {
    this.bus = options.bus ?? new MetricsBus();
    this.bus.subscribe(this.builder.sink);
    this.log = options.log ?? (() => {});
    const shard = options.shard && { runId: options.shard.runId, index: options.shard.spec.index };
    this.toolNodeName = toolNodeNameFor(options.listenTls?.cert, () =>
      newToolNodeName(shard ? { shard } : {}),
    );
    this.databases = options.databases?.length ? options.databases : [options.database];
    options.signal.addEventListener('abort', this.onUserAbort, { once: true });
    this.bus.subscribe((event) => {
      if (event.type === 'connection' && event.event === 'closed') this.sockets.delete(event.socketId);
    });
  }

  /** The source, once openSource has made it. */
  get frames(): FrameSource {
    if (!this.source) throw new Error('load run: the frame source is not open yet');
    return this.source;
  }

  /** What goes into `database`: its own source, else the run's one. */
  sourceFor(database: string): FrameSource {
    return this.sourceByDatabase?.get(database) ?? this.frames;
  }

  /** The target, once resolveTargets has found it (a phase that needs it runs after). */
  /** Whether this process samples the target's memory and log: an unsharded run, or shard 0 of a sharded one. */
  get samplesTarget(): boolean {
    return (this.options.shard?.spec.index ?? 0) === 0;
  }

  get node(): ResolvedTarget {
    if (!this.target) throw new Error('load run: the target is not resolved yet');
    return this.target;
  }

  get totalRecords(): number {
    if (!this.streams.length) return this.frames.totalRecords;
    return this.streams.reduce((sum, s) => sum + s.source.totalRecords, 0);
  }

  /** Whether a stream's frame count is up to the target (synth --duration without a rate). */
  get openEnded(): boolean {
    return this.streams.some((s) => s.source.endsBefore !== undefined);
  }

  get committedFrames(): number {
    return this.streams.reduce((sum, s) => sum + s.tracker.committedFrames, 0);
  }

  get totalFrames(): number {
    if (!this.streams.length) return this.frames.frameCount;
    return this.streams.reduce((sum, s) => sum + framesToSend(s.source), 0);
  }

  /** Every operations client of the run: the target's, then each sampled member's. */
  get clients(): Map<string, OperationsClient | undefined> {
    if (!this.target) return new Map();
    return new Map([
      [this.target.nodeName, this.target.client],
      ...this.members.map((m): [string, OperationsClient | undefined] => [m.nodeName, m.client]),
    ]);
  }

  /** The worker deaths seen so far, as the result will report them. */
  get herdDeaths(): HerdDeath[] {
    return this.builder.herdDeaths();
  }

  toolBuffered = (socketId: number): number => this.sockets.get(socketId)?.sender.queuedBytes ?? 0;

  end(outcome: RunOutcome, exitCode: ExitCodeValue, error?: string): void {
    this.outcome = outcome;
    this.exitCode = exitCode;
    this.error = error;
  }

  /** run-end (and the `done` phase once the run got past its source), then the result folded from the bus. */
  finish(phaseDone = true): RunResult {
    this.options.signal.removeEventListener('abort', this.onUserAbort);
    this.bus.emit({
      type: 'run-end',
      outcome: this.outcome,
      exitCode: this.exitCode,
      ...(this.error ? { error: this.error } : {}),
      cleanup: this.cleanup,
    });
    if (phaseDone) this.bus.emit({ type: 'phase', phase: 'done' });
    return this.builder.build();
  }
}
