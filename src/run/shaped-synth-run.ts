/**
 * synth with shaped records (--template, --like): one table per shape, each its own table id in the same frames;
 * its records counted by id range per table afterwards; scratch tables dropped at the end, also after Ctrl-C.
 */
import type { MetricsBus } from '../events/metrics-bus.js';
import type { IndexCheck, ValueSample } from '../events/schema.js';
import type { OperationsClient } from '../harper/operations-client.js';
import type { RunResult } from '../report/result.js';
import type { TableIdSpaces } from '../workload/captured-ids.js';
import type { KeyDistribution } from '../workload/key-distribution.js';
import { isPureInserts, type OperationMix } from '../workload/operation-mix.js';
import type { RateSchedule } from '../workload/rate-schedule.js';
import type { RecordEncoder } from '../workload/record-encoder.js';
import { indexedAttributes } from '../workload/record-shape.js';
import { ScheduledSource } from '../workload/scheduled-source.js';
import { type ShardRun, shardBaseTime, shardBlock, shardSequenceBase, WHOLE } from '../workload/shard.js';
import { blockFrames, ShardedSource } from '../workload/sharded-source.js';
import { type FrameSource, SyntheticWorkload } from '../workload/synthetic.js';
import { type LoadRunOptions, runLoad } from './load-run.js';
import { describeOperations } from './operations-meta.js';
import {
  dropScratchTables,
  fileShapes,
  prepareTable,
  type ShapedTable,
  type ShapeOptions,
  type ShapeSource,
  scratchSuffix,
  shapeSummary,
  tableShape,
  writerOf,
} from './shaped-tables.js';
import { checkIndex, sampleShapedValues, type VerifiedTable } from './shaped-verify.js';
export interface ShapedSynthOptions extends LoadRunOptions {
  /** The table a template's records go to. */
  table: string;
  /** frames × recordsPerFrame records per table (--scale recomputes both), seed of the values. */
  workload: {
    frames: number;
    recordsPerFrame: number;
    recordSize: number;
    seed: number;
    preset?: string;
    /** --mix and --keys: every table follows the same plan. */
    mix?: OperationMix;
    keys?: KeyDistribution;
  };
  shapes: ShapeOptions;
}

/** The largest divisor of `total` not above `limit`: frames of equal size that add up to exactly `total`. */
export function framing(total: number, limit: number): { frames: number; recordsPerFrame: number } {
  for (let size = Math.min(limit, total); size > 1; size--) {
    if (total % size === 0) return { frames: total / size, recordsPerFrame: size };
  }
  return { frames: total, recordsPerFrame: 1 };
}

/** Records per table under --scale: each captured table's own count times the factor (undefined without --scale). */
export function scaledCounts(
  pending: ReadonlyArray<{ capturedRecords?: number } | ShapeSource>,
  scale: number | undefined,
): number[] | undefined {
  if (scale === undefined) return undefined;
  const captured = pending.map((p) =>
    'capturedRecords' in p && p.capturedRecords ? Math.round(scale * p.capturedRecords) : undefined,
  );
  // A table not from a capture (--like DB.TABLE beside a capture) gets as many as the largest captured one.
  const largest = Math.max(1, ...captured.map((c) => c ?? 0));
  return captured.map((c) => c ?? largest);
}

/**
 * Templates and captures need no target: read them before run-meta, so it says what --scale sets. A file that
 * cannot be read fails the run where the source opens (exit 6), as before: the error is kept for then.
 */
async function readFiles(options: ShapedSynthOptions, suffix: string, rewrite: boolean) {
  const { workload: base, shapes } = options;
  const files = await fileShapes(shapes, base.seed, options.table, suffix, rewrite).then(
    (pending) => ({ pending }),
    (error: unknown) => ({ error }),
  );
  const counts = 'pending' in files ? scaledCounts(files.pending, shapes.scale) : undefined;
  const framed = counts
    ? framing(Math.max(...counts), base.recordsPerFrame)
    : { frames: base.frames, recordsPerFrame: base.recordsPerFrame };
  return { files, counts, framed };
}

/**
 * --scale with --mix: per table the keys the plan's ids stand for, and as many leading inserts as the largest
 * table's captured ids (all re-created before the first update or delete), at most every entry of the run.
 */
export function capturedIdsOf(
  pending: ReadonlyArray<ShapedTable | ShapeSource>,
  framed: { frames: number; recordsPerFrame: number },
): { tableIds?: TableIdSpaces; leadingInserts?: number } {
  const spaces = pending.map((p) => ('captured' in p ? p.captured?.ids : undefined));
  if (!spaces.some(Boolean)) return {};
  const largest = Math.max(...spaces.map((s) => s?.size ?? 0));
  return { tableIds: spaces, leadingInserts: Math.min(largest, framed.frames * framed.recordsPerFrame) };
}

/** What the summary warns about one table: values it could not send as captured, writes into the user's table. */
function tableWarnings(entry: ShapedTable, records: number): string[] {
  const warnings: string[] = [];
  if (entry.captured?.encoder.substituted)
    warnings.push(
      `${entry.from}: ${entry.captured.encoder.substituted} captured values do not fit the shape's structures: those ids are re-created with synthesized values`,
    );
  if (entry.kind === 'table' && !entry.scratch)
    warnings.push(
      `--into-source-table: writing ids 1…${records} into your own table ${entry.from} (its records with those ids are overwritten)`,
    );
  if (entry.skipped.length)
    warnings.push(`${entry.from}: not synthesized (binary or blob values): ${entry.skipped.join(', ')}`);
  return warnings;
}

/** What the shaped synthesizer is made of once the shapes are known (the same on every shard of a run). */
export interface ShapedPlan {
  framed: { frames: number; recordsPerFrame: number };
  /** --scale: records per table (pure inserts). */
  counts?: number[];
  mixed?: OperationMix;
  keys?: KeyDistribution;
  seed: number;
  table: string;
  encoders: RecordEncoder[];
  schedule?: RateSchedule;
  shard?: ShardRun;
  /** --scale with --mix: the captured ids the plan's ids stand for (captured-ids.ts). */
  captured?: { tableIds?: TableIdSpaces; leadingInserts?: number };
}

/**
 * The frames this process sends: the whole shaped run, of which a shard (--shard, templates only) sends its
 * contiguous block, versioned from the shards' common base (tails: shardSequenceBase), like the fixed shape's.
 */
export function shapedSource(
  plan: ShapedPlan,
  toolNodeName: string,
  now = Date.now(),
): { workload: SyntheticWorkload; source: FrameSource } {
  const base = plan.shard ? shardBaseTime(plan.shard) : now;
  const workload = new SyntheticWorkload({
    ...plan.framed,
    ...(plan.counts && !plan.mixed ? { tableRecords: plan.counts } : {}),
    ...plan.captured,
    recordSize: 0,
    blobSize: 0,
    seed: plan.seed,
    ...(plan.mixed ? { mix: plan.mixed, keys: plan.keys ?? { kind: 'uniform' } } : {}),
    tableName: plan.table,
    originName: toolNodeName,
    baseVersion: base,
    baseSequence: shardSequenceBase(base, now),
    encoders: plan.encoders,
  });
  const whole = plan.schedule ? new ScheduledSource(workload, plan.schedule) : workload;
  const source = plan.shard
    ? new ShardedSource(whole, blockFrames(plan.shard.spec, plan.framed.frames))
    : whole;
  return { workload, source };
}

/** The ids table `t` gets from this process with pure inserts: its block's frames, up to the table's own count. */
export function shapedIdRange(
  framed: { frames: number; recordsPerFrame: number },
  shard: ShardRun | undefined,
  tableCount?: number,
): { lo: number; hi: number } {
  const { start, end } = shardBlock(shard?.spec ?? WHOLE, framed.frames);
  const hi = Math.min(end * framed.recordsPerFrame, tableCount ?? Number.POSITIVE_INFINITY);
  return { lo: start * framed.recordsPerFrame + 1, hi };
}

export async function runShapedSynth(options: ShapedSynthOptions): Promise<RunResult> {
  const { workload: base, shapes } = options;
  const { mix, keys, ...rest } = base;
  const mixed = mix && !isPureInserts(mix) ? mix : undefined;
  const suffix = scratchSuffix();
  // --scale with --mix rewrites the captured ids: re-created first (their captured values), then updated, deleted.
  const rewrite = mixed !== undefined && shapes.scale !== undefined;
  const { files, counts, framed } = await readFiles(options, suffix, rewrite);
  const shape = { ...rest, ...framed };
  const leading = 'pending' in files ? capturedIdsOf(files.pending, framed).leadingInserts : undefined;
  const operations = mixed
    ? describeOperations(shape, mixed, keys, {
        dependencyWait: options.dependencyWait,
        leadingInserts: leading,
      })
    : undefined;
  const shardedMix = mixed !== undefined && (options.shard?.spec.count ?? 1) > 1;
  const tables: ShapedTable[] = [];
  const encoders: RecordEncoder[] = [];
  let pending: Array<ShapedTable | ShapeSource> = [];
  let workload: SyntheticWorkload | undefined;
  let resolved = false;
  const perTable = () => (workload ? workload.options.frames * workload.options.recordsPerFrame : 0);

  /** Table shapes need the target: read on the first prepare, then every shape becomes an encoder, in flag order. */
  const resolve = async (client: OperationsClient, bus: MetricsBus) => {
    if (resolved) return;
    resolved = true;
    for (const item of pending) {
      const entry =
        'encoder' in item
          ? item
          : await tableShape(client, item as Extract<ShapeSource, { kind: 'table' }>, {
              seed: base.seed + tables.length,
              suffix,
              intoSourceTable: shapes.intoSourceTable,
            });
      tables.push(entry);
      encoders.push(writerOf(entry));
      for (const message of tableWarnings(entry, perTable())) bus.emit({ type: 'warning', message });
    }
    bus.emit({ type: 'shapes', tables: tables.map(shapeSummary) });
  };

  return runLoad(options, {
    describe: {
      command: 'synth',
      table: options.table,
      // Shaped records have no fixed size: the shapes event says their mean and largest.
      workload: {
        ...shape,
        recordSize: 0,
        blobSize: 0,
        ...(options.rate ? { rate: options.rate } : {}),
        ...(options.schedule ? { schedule: options.schedule } : {}),
        ...(operations ? { operations } : {}),
      },
    },
    source: async (toolNodeName) => {
      if ('error' in files) throw files.error;
      pending = files.pending;
      const plan = { framed, counts, mixed, keys, seed: base.seed, table: options.table, encoders };
      const captured = capturedIdsOf(pending, framed);
      const made = shapedSource(
        { ...plan, captured, schedule: options.schedule, shard: options.shard },
        toolNodeName,
      );
      workload = made.workload;
      return made.source;
    },
    prepare: async (client, database, bus) => {
      await resolve(client, bus);
      const ids = shapedIdRange(framed, options.shard);
      for (const entry of tables) {
        await prepareTable(client, database, entry);
        if (entry.scratch) continue;
        const preexisting = options.verify ? await countIds(client, database, entry, ids) : 0;
        if (preexisting) {
          bus.emit({
            type: 'warning',
            message: `${database}.${entry.table} on ${client.url} already holds ${preexisting} of ids ${ids.lo}…${ids.hi}: verification cannot tell them from this run's records`,
          });
        }
      }
      if (options.verify && shardedMix) {
        bus.emit({
          type: 'warning',
          message: `a shard's --mix updates and deletes ids of other shards: its records are not counted (count the tables once every shard has ended)`,
        });
      }
    },
    // The final state of a sharded mix is every shard's doing: one shard cannot check it.
    verify: shardedMix
      ? undefined
      : (client, database) => verifyTables(client, database, tables, workload!, options.shard),
    release: async (client, database, bus) => {
      if (shapes.keepTable) return;
      const dropped = await dropScratchTables(client, database, tables, bus);
      if (dropped.length) bus.emit({ type: 'scratch-tables-dropped', tables: dropped });
    },
  });
}

/**
 * Per table: the count of present ids, with a mix a sample of values (summed over the tables, which all follow the
 * one plan), and one search by value on an indexed attribute. A shard (pure inserts) counts its block's ids only;
 * the sample and the search pick ids of the whole run, which other shards may not have sent yet.
 */
async function verifyTables(
  client: OperationsClient,
  database: string,
  tables: readonly ShapedTable[],
  workload: SyntheticWorkload,
  shard: ShardRun | undefined,
) {
  const planned = workload.plan.finalState();
  const seed = workload.options.seed;
  const { frames, recordsPerFrame, tableRecords } = workload.options;
  let targetRecords = 0;
  let expectedRecords = 0;
  const samples: ValueSample[] = [];
  const indexChecks: IndexCheck[] = [];
  for (const [t, entry] of tables.entries()) {
    const verified: VerifiedTable = {
      table: entry.table,
      primaryKey: entry.shape.primaryKey,
      indexed: indexedAttributes(entry.shape),
      encoder: writerOf(entry),
    };
    // Captured ids rewritten: the plan's ids are this table's keys (captured-ids.ts).
    const state = entry.captured ? entry.captured.ids.expected(planned) : planned;
    // --scale: each table holds its own captured count times the factor (pure inserts: ids 1…count).
    const limit = Math.min(state.maxId, tableRecords?.[t] ?? state.maxId);
    const ids = shard ? shapedIdRange({ frames, recordsPerFrame }, shard, limit) : { lo: 1, hi: limit };
    const ranged = tableRecords || shard;
    expectedRecords += ranged ? Math.max(0, ids.hi - ids.lo + 1) : state.presentCount;
    targetRecords += await countIds(client, database, entry, ids);
    if (shard && shard.spec.count > 1) continue;
    if (!workload.plan.pureInserts)
      samples.push(await sampleShapedValues(client, database, verified, state, seed));
    const check = await checkIndex(client, database, verified, state, seed);
    if (check) indexChecks.push(check);
  }
  return {
    expectedRecords,
    targetRecords,
    ...(samples.length ? { sample: sumValueSamples(samples) } : {}),
    ...(indexChecks.length ? { indexChecks } : {}),
  };
}

function sumValueSamples(samples: readonly ValueSample[]): ValueSample {
  return {
    checked: samples.reduce((sum, s) => sum + s.checked, 0),
    present: samples.reduce((sum, s) => sum + s.present, 0),
    mismatches: samples.reduce((sum, s) => sum + s.mismatches, 0),
    firstMismatches: samples.flatMap((s) => s.firstMismatches).slice(0, 5),
  };
}

async function countIds(
  client: OperationsClient,
  database: string,
  entry: ShapedTable,
  ids: { lo: number; hi: number },
) {
  const key = entry.shape.primaryKey;
  const rows = await client.sql<{ c: number }>(
    `SELECT COUNT(*) AS c FROM \`${database}\`.\`${entry.table}\` WHERE \`${key}\` >= ${ids.lo} AND \`${key}\` <= ${ids.hi}`,
    120_000,
  );
  return Number(rows[0]?.c ?? 0);
}
