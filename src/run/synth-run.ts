/**
 * synth: the deterministic synthesizer as a load — the table made before the target subscribes, records counted
 * by id range afterwards.
 */

import type { MetricsBus } from '../events/metrics-bus.js';
import type { BlobFault, ValueSample } from '../events/schema.js';
import type { OperationsClient } from '../harper/operations-client.js';
import { PEER_MODE_MAX_FRAME } from '../protocol/codes.js';
import type { RunResult } from '../report/result.js';
import { checkSample, comparedAttributes, sampleIds } from '../workload/expected-state.js';
import type { KeyDistribution } from '../workload/key-distribution.js';
import { type OpenEndedPace, OpenEndedSource, openEndedFrameLimit } from '../workload/open-ended-source.js';
import type { OperationMix } from '../workload/operation-mix.js';
import { isPureInserts } from '../workload/operation-mix.js';
import type { WorkloadShape } from '../workload/presets.js';
import { ScheduledSource } from '../workload/scheduled-source.js';
import { shardBaseTime, shardBlock, shardSequenceBase, WHOLE } from '../workload/shard.js';
import { blockFrames, ShardedSource } from '../workload/sharded-source.js';
import { type FrameSource, SyntheticWorkload } from '../workload/synthetic.js';
import { type LoadRunOptions, runLoad } from './load-run.js';
import { describeOperations } from './operations-meta.js';
import { runShapedSynth } from './shaped-synth-run.js';
import type { ShapeOptions } from './shaped-tables.js';
import { readUndeclared } from './shaped-verify.js';
import { createUnlessExists } from './target.js';

export interface SynthRunOptions extends LoadRunOptions {
  table: string;
  /** blobFaults: blobs to send wrong on purpose (--blob-faults). */
  workload: WorkloadShape & {
    seed: number;
    preset?: string;
    blobFaults?: BlobFault[];
    /** --mix and --keys; absent = inserts only. */
    mix?: OperationMix;
    keys?: KeyDistribution;
  };
  /** Shaped records (--template, --like) instead of {id, frame, payload}. */
  shapes?: ShapeOptions;
  /** --duration without a rate: frames as fast as the target reads until the time is up (workload.frames is 0). */
  openEnded?: OpenEndedPace;
}

export type SynthResult = RunResult;

/**
 * The ids this process's records take with pure inserts: 1 … N, or with --shard the ids of its block of frames
 * (frame f holds ids f·r + 1 … (f + 1)·r), so verification stays one range per shard.
 */
export function synthIdRange(options: Pick<SynthRunOptions, 'workload' | 'shard' | 'openEnded'>): {
  lo: number;
  hi: number;
} {
  const { recordsPerFrame } = options.workload;
  const frames = synthFrames(options);
  const { start, end } = shardBlock(options.shard?.spec ?? WHOLE, frames);
  return { lo: start * recordsPerFrame + 1, hi: end * recordsPerFrame };
}

/** The frames the synthesizer can give: the planned count, or an open-ended run's most (--frames or the id space). */
function synthFrames(options: Pick<SynthRunOptions, 'workload' | 'openEnded'>): number {
  const { openEnded, workload } = options;
  if (!openEnded) return workload.frames;
  return openEnded.maxFrames ?? openEndedFrameLimit(workload.recordsPerFrame);
}

/**
 * The frames this process sends: the whole run's synthesizer (and schedule), of which a shard sends its block. A
 * shard's versions count from the base every shard derives alike (run id, --start-at), its tails from that base
 * or its own clock, whichever is later (shardSequenceBase).
 */
export function synthSource(
  options: Pick<SynthRunOptions, 'workload' | 'table' | 'schedule' | 'shard' | 'openEnded'>,
  toolNodeName: string,
  now = Date.now(),
): { workload: SyntheticWorkload; source: FrameSource } {
  const { mix, keys, ...shape } = options.workload;
  const base = options.shard ? shardBaseTime(options.shard) : now;
  const workload = new SyntheticWorkload({
    frames: synthFrames(options),
    recordsPerFrame: shape.recordsPerFrame,
    recordSize: shape.recordSize,
    blobSize: shape.blobSize,
    ...(shape.blobFaults ? { blobFaults: shape.blobFaults } : {}),
    blobsPerFrame: shape.blobsPerFrame,
    seed: shape.seed,
    ...(mix ? { mix } : {}),
    ...(keys ? { keys } : {}),
    tableName: options.table,
    originName: toolNodeName,
    baseVersion: base,
    // Tails are the stream's cursor, after the target's start for a new peer (shardSequenceBase).
    baseSequence: shardSequenceBase(base, now),
  });
  const whole = options.schedule
    ? new ScheduledSource(workload, options.schedule)
    : options.openEnded
      ? new OpenEndedSource(workload, options.openEnded.durationMs)
      : workload;
  const source = options.shard
    ? new ShardedSource(whole, blockFrames(options.shard.spec, shape.frames))
    : whole;
  return { workload, source };
}

export function runSynth(options: SynthRunOptions): Promise<SynthResult> {
  if (options.shapes) return runShapedSynth({ ...options, shapes: options.shapes });
  const { mix, keys, ...shape } = options.workload;
  const operations =
    mix && !isPureInserts(mix) ? describeOperations(options.workload, mix, keys, options) : undefined;
  // An open-ended run's range is its most until the time is up: the check before counts it whole.
  const ids = synthIdRange(options);
  const shardedMix = operations !== undefined && (options.shard?.spec.count ?? 1) > 1;
  let workload: SyntheticWorkload | undefined;
  let openEnded: OpenEndedSource | undefined;
  return runLoad(options, {
    describe: {
      command: 'synth',
      table: options.table,
      workload: {
        ...shape,
        ...(options.rate ? { rate: options.rate } : {}),
        ...(options.schedule ? { schedule: options.schedule } : {}),
        ...(options.openEnded ? { openEnded: options.openEnded } : {}),
        ...(operations ? { operations } : {}),
      },
    },
    source: (toolNodeName) => {
      const made = synthSource(options, toolNodeName);
      workload = made.workload;
      if (made.source instanceof OpenEndedSource) openEnded = made.source;
      return made.source;
    },
    check: (bus) => {
      if (workload) warnOversizedFrames(workload, options, bus);
    },
    prepare: async (client, database, bus) => {
      await ensureTable(client, database, options.table);
      const preexisting = options.verify ? await countIds(client, database, options.table, ids) : 0;
      if (preexisting) {
        bus.emit({
          type: 'warning',
          message: `${database}.${options.table} on ${client.url} already holds ${preexisting} of ids ${ids.lo}…${ids.hi}: verification cannot tell them from this run's records`,
        });
      }
      if (options.verify && shardedMix) {
        bus.emit({
          type: 'warning',
          message: `a shard's --mix updates and deletes ids of other shards: its records are not counted (count ${database}.${options.table} once every shard has ended)`,
        });
      }
    },
    // The final state of a sharded mix is every shard's doing: one shard cannot check it.
    verify: shardedMix
      ? undefined
      : async (client, database) => {
          if (workload && !workload.plan.pureInserts)
            return verifyMix(client, database, options.table, workload);
          const sent = openEnded ? sentIds(ids, openEnded, options.workload.recordsPerFrame) : ids;
          return {
            expectedRecords: sent.hi - sent.lo + 1,
            targetRecords: await countIds(client, database, options.table, sent),
          };
        },
  });
}

/** An open-ended run's ids to count: those of the frames it sent (begun, if it was interrupted). */
function sentIds(
  ids: { lo: number; hi: number },
  source: OpenEndedSource,
  recordsPerFrame: number,
): { lo: number; hi: number } {
  return { lo: ids.lo, hi: ids.lo - 1 + source.framesBegun * recordsPerFrame };
}

/** A mix's verification: the count of present ids and a sample of ids' values against the expected state. */
async function verifyMix(
  client: OperationsClient,
  database: string,
  table: string,
  workload: SyntheticWorkload,
): Promise<{ expectedRecords: number; targetRecords: number; sample: ValueSample }> {
  const state = workload.plan.finalState();
  const ids = sampleIds(state, 1, workload.options.seed);
  const attributes = comparedAttributes(workload.encoder, 1);
  const rows = await readUndeclared(client, database, table, ids, attributes);
  return {
    expectedRecords: state.presentCount,
    targetRecords: await countIds(client, database, table, { lo: 1, hi: state.maxId }),
    sample: checkSample(ids, rows, state, workload.encoder, attributes),
  };
}

async function ensureTable(client: OperationsClient, database: string, table: string): Promise<void> {
  // The table must exist before the target subscribes: on 4.7.29 blob records are dropped otherwise.
  const all = await client.describeAll();
  if (!all[database]) await createUnlessExists(() => client.createDatabase(database));
  if (!all[database]?.[table]) await createUnlessExists(() => client.createTable(database, table, 'id'));
}

async function countIds(
  client: OperationsClient,
  database: string,
  table: string,
  ids: { lo: number; hi: number },
): Promise<number> {
  const rows = await client.sql<{ c: number }>(
    `SELECT COUNT(*) AS c FROM \`${database}\`.\`${table}\` WHERE id >= ${ids.lo} AND id <= ${ids.hi}`,
    120_000,
  );
  return Number(rows[0]?.c ?? 0);
}

function warnOversizedFrames(workload: SyntheticWorkload, options: SynthRunOptions, bus: MetricsBus): void {
  if (options.via !== 'peer') return;
  const estimate = workload.options.recordsPerFrame * (workload.payloadLength + 40);
  if (estimate > PEER_MODE_MAX_FRAME) {
    bus.emit({
      type: 'warning',
      message: `frames of ~${(estimate / 2 ** 20).toFixed(0)} MiB exceed the ${PEER_MODE_MAX_FRAME / 2 ** 20} MiB a Harper 4.7 node accepts on connections it opened (peer mode): expect close 1009; use --via push or fewer --records-per-frame`,
    });
  }
}
