/** What `report --merge` says about the shards it folded (types only: result.ts and merge-shards.ts share them). */
import type { RunOutcome } from '../events/schema.js';

/** One shard as the merged result shows it. */
export interface ShardFigures {
  index: number;
  path: string;
  /** The shard's peer name (its registration on the target). */
  toolNodeName: string;
  outcome: RunOutcome;
  exitCode: number;
  /** The file ends with the shard's run-end (false: the shard was killed or is still running). */
  finished: boolean;
  samplesTarget: boolean;
  sentRecords: number;
  committedRecords: number;
  sendRecordsPerSec: number | null;
  commitRecordsPerSec: number | null;
  ackP99Ms: number | null;
  /** When its first frame went out: ms after --start-at, or after the earliest shard's first frame without one. */
  firstSendOffsetMs: number | null;
}

/** `report --merge`: which shards were folded, which were not, and the clock skew seen between them. */
export interface MergeSummary {
  runId: string | null;
  /** The shard count the files name (n of `--shard i/n`). */
  count: number | null;
  /** Every shard 0…n-1 of one run id, once, each ended with its run-end. */
  complete: boolean;
  missing: number[];
  /** Shards that ended without run-end: their peer names, so their registrations can be removed. */
  unfinished: Array<{ index: number; toolNodeName: string; path: string }>;
  /** Everything wrong with the set, one line each (files left out and why, missing and unfinished shards). */
  problems: string[];
  shards: ShardFigures[];
  skew: { startAt: number | null; firstSendSpreadMs: number | null; runStartSpreadMs: number | null };
}
