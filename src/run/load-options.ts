/** What a load run is told (LoadRunOptions) and what it sends (LoadWorkload): the synthesizer and the replayer plug in here. */
import type { MetricsBus } from '../events/metrics-bus.js';
import type { IndexCheck, RunMeta, ValueSample } from '../events/schema.js';
import type { OperationsClient } from '../harper/operations-client.js';
import type { RateSchedule } from '../workload/rate-schedule.js';
import type { ShardRun } from '../workload/shard.js';
import type { FrameSource } from '../workload/synthetic.js';
import type { ResolvedTarget, TargetSpec } from './target.js';

export interface LoadRunOptions {
  target: TargetSpec;
  via: 'peer' | 'push';
  listenHost: string;
  listenPort: number;
  database: string;
  /** Load all of these databases at once, each over its own connection (default: just `database`). */
  databases?: string[];
  /** Peer mode: load every cluster member that subscribes, not just the target. */
  fanOut?: boolean;
  /** --fan-out: operations API URLs of the other members (sampled and verified; else derived or unsampled). */
  memberUrls?: string[];
  /** Peer mode on wss: the user's certificate and key, or {} for a certificate and CA made for this run. */
  listenTls?: { cert?: string; key?: string };
  /** Frames per second; undefined = unlimited. */
  rate?: number;
  /** --stages / --duration (synth): the rate over time each stream's frames follow (see workload/rate-schedule.ts). */
  schedule?: RateSchedule;
  maxReconnects: number;
  /** End the run once every stream the Nth worker death dropped has re-subscribed (the herd is measured). */
  untilResubscribed?: number;
  /** Fail when no frame is committed for this long while frames are outstanding. */
  ackTimeoutMs: number;
  /**
   * false (--no-dependency-wait): send a frame rewriting ids of a frame still in flight without waiting for that
   * frame's ack, to reproduce 4.7.29's silent loss (default true: wait).
   */
  dependencyWait?: boolean;
  /** After the last frame, send an empty frame after this long without a commit (ms; default 500). No flag: tests. */
  nudgeAfterMs?: number;
  subscribeTimeoutMs: number;
  verify: boolean;
  /** Send the workload's liveness frame after the last one and report whether it is committed. */
  liveness?: boolean;
  /** Bytes the tool may queue on a socket before it waits for drain. */
  highWaterMark: number;
  signal: AbortSignal;
  bus?: MetricsBus;
  /** Status lines for humans (stderr); never receives credentials. */
  log?: (message: string) => void;
  /** Called once the target is known (tests use it to find the embedded node). */
  onTarget?: (target: ResolvedTarget) => void | Promise<void>;
  /** --threshold expressions (already validated by parseThreshold). */
  thresholds?: string[];
  /** Stalls shorter than this are not episodes (ms). */
  pauseThresholdMs?: number;
  /** A probe unanswered for this long means the target's event loop is blocked (ms). */
  blockedAfterMs?: number;
  /** Memory baseline window before the first frame (ms). */
  baselineMs?: number;
  /** Log the stack of an error that ends the run (--verbose). */
  verbose?: boolean;
  /** How long to keep sampling after the last ack, before verification (ms). */
  settleMs?: number;
  /** system_information sampling interval (ms). */
  sysinfoIntervalMs?: number;
  /** cluster_status sampling interval (ms); 0 or undefined: off. */
  clusterStatusIntervalMs?: number;
  /** --shard, --run-id, --start-at: this process sends one shard of the workload (absent: all of it). */
  shard?: ShardRun;
}

/** What a run sends and how it checks what landed: the synthesizer and the replayer plug in here. */
export interface LoadWorkload {
  /** For run-meta: what the workload is. */
  describe: Pick<RunMeta, 'command' | 'table' | 'workload'> & Partial<Pick<RunMeta, 'replay'>>;
  /**
   * The frame source, once the tool's node name is known (it is the origin of synthetic records): one for every
   * database, or one per database (a replay of several captured connections, each into its own database).
   */
  source(
    toolNodeName: string,
  ): FrameSource | ReadonlyMap<string, FrameSource> | Promise<FrameSource | ReadonlyMap<string, FrameSource>>;
  /** One-time checks once the source is known (e.g. frames over the target's limit); may warn on the bus. */
  check?(bus: MetricsBus): void;
  /** Prepares one database of one member before it subscribes (database, tables); may warn on the bus. */
  prepare(client: OperationsClient, database: string, bus: MetricsBus): Promise<void>;
  /** Counts what landed in one database of one member; undefined skips verification. */
  verify?(
    client: OperationsClient,
    database: string,
  ): Promise<{
    expectedRecords: number;
    targetRecords: number;
    sample?: ValueSample;
    indexChecks?: IndexCheck[];
  }>;
  /**
   * Undoes what prepare made on one database of one member (a shaped run's scratch tables), before an embedded
   * target stops; runs after a failure or Ctrl-C too.
   */
  release?(client: OperationsClient, database: string, bus: MetricsBus): Promise<void>;
  /** Releases what the source holds (open files). */
  close?(): Promise<void>;
  /** How to resume after `committed` frames (named in the error when the target dies mid-run). */
  resumeHint?(committed: number): string;
}
