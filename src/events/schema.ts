/**
 * The run's event schema: what producers (sessions, samplers, the run) emit on the metrics bus and what sinks
 * (reporters, the result fold, the samples file) read. Types only, shared by both sides; imports nothing.
 */

/** How a blob was sent wrong on purpose (--blob-faults; see workload/blob-faults.ts). */
export type BlobFaultKind = 'error' | 'withhold' | 'truncate' | 'orphan';

/** Every `every`th blob (1-based, in record order) is sent wrong this way. */
export interface BlobFault {
  kind: BlobFaultKind;
  every: number;
}

/** What a line of the target's log means (see harper/log-scan.ts for the patterns). */
export type LogMatchKind =
  | 'oom'
  | 'uncaught'
  | 'blob-save-failed'
  | 'replication-error'
  | 'pause'
  | 'resume'
  /** Harper Pro 5.x "Receive watchdog: … terminating connection and reconnecting" (read from the source). */
  | 'watchdog-reconnect'
  /** "Setting up subscription with leader …": a subscription handed to a worker (at the start, after a death). */
  | 'subscription-setup'
  /** A --target-fault firing (the tool's own component in a node it started). */
  | 'fault-fired';

export type ConnectionEvent = 'named' | 'subscribed' | 'streaming' | 'ignored' | 'closed';

/** A measurement of the target (or of the tool's socket) at time t. Sizes in bytes, times in epoch ms. */
export type Sample =
  /** /proc/<pid>/status of a local target: RSS and the kernel's peak since the run started. */
  | { kind: 'proc'; rss: number; hwm: number }
  /** system_information (memory, threads), answered `latencyMs` after it was asked at `requestedAt`. */
  | {
      kind: 'sysinfo';
      requestedAt: number;
      latencyMs: number;
      rss: number | null;
      heapUsed: number | null;
      /** Per worker thread; externalMemory and arrayBuffers are what blob chunks and socket buffers hold. */
      threads: Array<{
        threadId: number;
        heapUsed?: number;
        externalMemory?: number;
        arrayBuffers?: number;
        utilization?: number;
      }>;
    }
  /** A cheap operations-API call: does the target answer promptly? `ok` false = error or no answer. */
  | { kind: 'probe'; requestedAt: number; latencyMs: number; ok: boolean }
  /** Kernel queues of both ends of the loaded connection (local target) and the tool's own user-space queue. */
  | { kind: 'tcp'; socketId: number; toolTxQueue: number; targetRxQueue: number; toolBuffered: number }
  /**
   * cluster_status: the node's replication links as it reports them, one entry per (remote node, database). Only
   * the whitelisted fields below are kept (the answer also holds credentials); a field the node did not send is
   * absent, never zero. `ok` false: the call failed.
   */
  | { kind: 'cluster-status'; requestedAt: number; latencyMs: number; ok: boolean; links: ClusterLink[] };

/** One replication link of cluster_status (database_sockets of a connection). */
export interface ClusterLink {
  node: string;
  database: string;
  connected?: boolean;
  backPressurePercent?: number;
  lastReceivedStatus?: string;
  lastCommitConfirmed?: string;
  lastReceivedVersion?: number;
  lastReceivedRemoteTime?: string;
  lastReceivedLocalTime?: string;
  sendingMessage?: string;
  blobReplicationFailures?: number;
  lastBlobFailure?: string;
  lastLiveness?: string;
  lastConnectionError?: { code?: number; time?: string };
}

/** The shape of a synthetic workload: how many frames of how many records, how big, with how many blobs. */
export interface RecordShape {
  frames: number;
  recordsPerFrame: number;
  /** Approximate encoded size of each record value (bytes). */
  recordSize: number;
  /** Bytes per blob; 0 = no blobs. */
  blobSize: number;
  /** How many records of each frame carry a blob (default: all of them when blobSize > 0). */
  blobsPerFrame?: number;
}

/** The operation mix a synth run sends (--mix, --keys). */
export interface OperationsMeta {
  /** The shares asked for, as --mix spells them (percent). */
  mix: string;
  /** The key distribution of updates and deletes, as --keys spells it. */
  keys: string;
  /** Entries the mix drew, by operation. */
  planned: { insert: number; update: number; delete: number };
  /** Entries the frames carry: an update or delete with no id to touch yet (or only ids its frame touched) goes as an insert. */
  sent: { insert: number; update: number; delete: number };
  /** --no-dependency-wait: frames went out without waiting for the ack of the frame whose ids they rewrite. */
  dependencyWait?: 'off';
  /** --scale with --mix: the first entries re-created the captured ids (inserts whatever the mix drew). */
  leadingInserts?: number;
}

/** Values of a sample of ids read back from the target and compared with the expected state. */
export interface ValueSample {
  /** Ids read back. */
  checked: number;
  /** Of them, ids that should exist (the rest should be absent: deleted). */
  present: number;
  /** Ids whose row differs from the expected state (missing, not deleted, or another value). */
  mismatches: number;
  /** The first few mismatches, one line each. */
  firstMismatches: string[];
}

/** A search by value on an indexed attribute of a shaped table: does the target's index find what was written? */
export interface IndexCheck {
  table: string;
  attribute: string;
  /** The value searched (written by this run to a present id of the sample). */
  value: string | number | boolean;
  /** Sampled present ids whose expected value is this one. */
  expected: number;
  /** Of them, the ids the search returned. */
  found: number;
  ok: boolean;
}

/** What a run is, before it starts (everything `report` needs besides the events). */
export interface RunMeta {
  command: 'synth' | 'replay';
  toolVersion: string;
  toolNodeName: string;
  via: 'peer' | 'push';
  database: string;
  /** Every database loaded at once (--databases / --database a,b,c); absent = just `database`. */
  databases?: string[];
  /** --fan-out: every cluster member that subscribes is loaded. */
  fanOut?: boolean;
  table: string;
  workload: RecordShape & {
    preset?: string;
    seed: number;
    rate?: number;
    blobFaults?: BlobFault[];
    /** --stages / --duration: the rate over time every stream follows (rates in `unit` per second). */
    schedule?: ScheduleMeta;
    /** --mix and --keys: absent for inserts only. */
    operations?: OperationsMeta;
    /** synth --duration without a rate: frames as fast as the target reads until the time is up (`frames` 0: none planned). */
    openEnded?: OpenEndedMeta;
  };
  thresholds: string[];
  pauseThresholdMs: number;
  blockedAfterMs: number;
  /** Replay runs: what was replayed and how, and the capture's own ack latencies for comparison. */
  replay?: ReplayMeta;
  /** --shard: this process is one shard of a run split over several (`report --merge` folds them by runId). */
  sharding?: ShardingMeta;
}

/** One shard of a sharded run: shard `index` of `count` (0-based) of the run `runId`, started at `startAt`. */
export interface ShardingMeta {
  runId: string;
  index: number;
  count: number;
  /** --start-at as epoch ms; absent = the shard started as soon as it was ready. */
  startAt?: number;
  /** Only one shard (index 0) samples the target's memory and log; the others say so here. */
  samplesTarget: boolean;
}

/** An open-ended run: sent for `durationMs` as fast as the target read, or until `maxFrames` (--frames) if sooner. */
export interface OpenEndedMeta {
  durationMs: number;
  maxFrames?: number;
}

export interface ScheduleMeta {
  unit: 'rps' | 'fps';
  stages: Array<{ durationMs: number; from: number; to: number }>;
}

export interface ReplayMeta {
  capture: string;
  /** The (first) replayed connection. */
  connection: number;
  /** Every replayed connection, each its own stream into its database (several: all of a capture at once). */
  connections?: Array<{ connection: number; database: string; frames: number }>;
  sourceNodeName?: string;
  frames: number;
  loops: number;
  speed: string;
  fromFrame: number;
  retime: boolean;
  origin: string;
  /** When the schedule says the last frame goes out (ms after the first); null when flat out. */
  scheduledDurationMs: number | null;
  /** --duration: the capture was looped until its frames were due this long after the first (ms). */
  durationMs?: number;
  /** The clock the pace followed (--pace-by): the frames' arrival at the capture or their transaction times. */
  paceBy?: 'arrival' | 'txn-time';
  /** The span one pass takes paced by each clock (at --speed; at 1x when flat out or with --rate). */
  paceSpansMs?: { arrival: number; txnTime: number };
  originalAckLatencyMs: { count: number; p50: number | null; p99: number | null; max: number | null };
}

export interface TargetInfo {
  nodeName: string;
  operationsUrl: string;
  replicationUrl: string;
  embedded: boolean;
  /** The target runs on this machine and its pid is known: /proc and kernel queues are sampled. */
  local: boolean;
  pid?: number;
  rootDir?: string;
  /** The target's logging level (its pause lines are debug-level in 4.7), when known. */
  loggingLevel?: string;
  /** --target-fault: the faults armed in this (embedded) node, checked in its log before the run. */
  faults?: string[];
  /** The target's Harper version (registration_info, read once) and what the tool verified for that version. */
  harper?: { version: string | null; family: string; verification: string; verified: string[] };
}

/** One loaded stream: the workload to one member's subscription to one database. */
export interface StreamPlan {
  /** `member/database`. */
  stream: string;
  member: string;
  database: string;
  /** Frames this stream sends (when the streams differ: a replay of several captured connections). */
  frames?: number;
  /** The captured connection a replayed stream re-sends. */
  connection?: number;
}

/** A cluster member the run loads (--fan-out), and whether its operations API is sampled. */
export interface MemberInfo {
  nodeName: string;
  operationsUrl?: string;
  sampled: boolean;
}

export const streamKey = (member: string, database: string): string => `${member}/${database}`;

export interface CleanupReport {
  /** peer mode: whether remove_node succeeded (null in push mode or if add_node never happened). */
  removedFromTarget: boolean | null;
  targetStopped: boolean;
}

export type RunOutcome = 'complete' | 'incomplete' | 'interrupted' | 'failed';

export type RunEvent =
  | { type: 'run-meta'; t: number; meta: RunMeta }
  | {
      type: 'run-start';
      t: number;
      /** Totals over every stream. */
      frames: number;
      records: number;
      target: TargetInfo;
      streams?: StreamPlan[];
      members?: MemberInfo[];
    }
  | {
      type: 'run-end';
      t: number;
      outcome: RunOutcome;
      exitCode: number;
      error?: string;
      cleanup: CleanupReport;
    }
  /** `member`: another cluster member's samplers (--fan-out); absent = the target's. */
  | { type: 'sample'; t: number; sample: Sample; member?: string }
  | { type: 'log-match'; t: number; kind: LogMatchKind; at?: string; line: string; member?: string }
  | { type: 'target-exited'; t: number; pid: number; member?: string }
  | {
      type: 'verify';
      t: number;
      expectedRecords: number;
      targetRecords: number | null;
      ok: boolean | null;
      /** Values of sampled ids compared with the expected state (synth --mix). */
      sample?: ValueSample;
      /** Shaped tables with indexed attributes: one search by value each (synth --template/--like). */
      indexChecks?: IndexCheck[];
      /** The stream verified (one event per stream); absent in single-stream runs of older versions. */
      stream?: string;
    }
  | {
      type: 'connection';
      t: number;
      socketId: number;
      event: ConnectionEvent;
      remoteNodeName?: string;
      database?: string;
      startTime?: number;
      code?: number;
      reason?: string;
      /** TCP ports of the tool's end (streaming connections), for kernel queue sampling. */
      localPort?: number;
      remotePort?: number;
      /** Streaming connections: which stream they carry. */
      stream?: string;
    }
  | {
      type: 'resume';
      t: number;
      socketId: number;
      startTime: number;
      fromFrame: number;
      attempt: number;
      stream?: string;
    }
  | {
      type: 'frame-sent';
      t: number;
      socketId: number;
      index: number;
      bytes: number;
      records: number;
      blobs: number;
      blobBytes: number;
      resent: boolean;
      /** A paced frame (replay, --stages, --duration): how far behind its schedule it went out (ms). */
      lateMs?: number;
      /** The schedule's stage the frame belongs to (--stages, --duration). */
      stage?: number;
      /** Blobs of this frame sent wrong on purpose (--blob-faults), by kind. */
      blobFaults?: Partial<Record<BlobFaultKind, number>>;
      stream?: string;
    }
  | { type: 'ack'; t: number; socketId: number; sequenceId: number | null; stream?: string }
  | {
      type: 'frame-committed';
      t: number;
      index: number;
      records: number;
      latencyMs: number;
      /** The schedule's stage the frame belongs to (--stages, --duration). */
      stage?: number;
      stream?: string;
    }
  | {
      type: 'drain-wait';
      t: number;
      socketId: number;
      startedAt: number;
      durationMs: number;
      queuedBytes: number;
    }
  /**
   * A frame held until the frame it rewrites ids of was committed (synth --mix; session/dependency-wait.ts): 4.7.29
   * drops a frame read before that commit. `committed` false: the wait ended without it (timeout, close, abort).
   */
  | {
      type: 'dependency-wait';
      t: number;
      frame: number;
      dependsOn: number;
      waitedMs: number;
      /** Empty frames sent meanwhile to draw out a coalesced ack. */
      nudges: number;
      committed: boolean;
      stream?: string;
    }
  /**
   * --no-dependency-wait: a frame sent while the frame whose ids it rewrites was not yet committed (the frames 4.7.29
   * may ack and drop).
   */
  | { type: 'dependency-in-flight'; t: number; frame: number; dependsOn: number; stream?: string }
  /** The liveness probe after a stream's last frame: committed or not, and how long it took. */
  | { type: 'liveness'; t: number; stream?: string; ok: boolean; latencyMs: number | null }
  | { type: 'warning'; t: number; message: string }
  /** A shaped synth run (--template, --like): each table's shape and where it came from. */
  | { type: 'shapes'; t: number; tables: ShapeSummary[] }
  /** Scratch tables (--like) the run dropped at its end, as database.table. */
  | { type: 'scratch-tables-dropped'; t: number; tables: string[] }
  | { type: 'phase'; t: number; phase: RunPhase };

/** What the summary and --json say about one table of a shaped run. */
export interface ShapeSummary {
  /** A template path, FILE.hrcap#table, or DB.TABLE. */
  from: string;
  kind: 'template' | 'capture' | 'table';
  /** The table written. */
  table: string;
  /** Made by this run (dropped at its end unless --keep-table). */
  scratch: boolean;
  /** The scratch table was dropped at the end of the run. */
  dropped?: boolean;
  primaryKey: string;
  attributes: Array<{ name: string; type: string; nullRate?: number }>;
  /** Declared in the table structure sent: the target indexes them. */
  indexed: string[];
  meanRecordBytes: number;
  maxRecordBytes: number;
  /** --like FILE.hrcap: records (put entries) of this table in the capture. */
  capturedRecords?: number;
  /** --scale with --mix: captured ids re-created with their captured values first, then updated and deleted. */
  rewrittenIds?: number;
  /** Attributes seen only as binary or blobs: not synthesized. */
  skipped?: string[];
}

export type RunPhase =
  | 'starting-target'
  | 'preparing'
  | 'waiting-for-subscription'
  /** A shard subscribed, waiting for --start-at. */
  | 'waiting-for-start'
  | 'streaming'
  | 'waiting-for-acks'
  | 'settling'
  | 'verifying'
  | 'cleaning-up'
  | 'done';

export type RunEventType = RunEvent['type'];
