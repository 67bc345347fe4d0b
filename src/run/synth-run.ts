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
import type { OperationMix } from '../workload/operation-mix.js';
import { isPureInserts } from '../workload/operation-mix.js';
import type { WorkloadShape } from '../workload/presets.js';
import { ScheduledSource } from '../workload/scheduled-source.js';
import { SyntheticWorkload } from '../workload/synthetic.js';
import { type LoadRunOptions, runLoad } from './load-run.js';
import { describeOperations } from './operations-meta.js';
import { runShapedSynth } from './shaped-synth-run.js';
import type { ShapeOptions } from './shaped-tables.js';
import { readUndeclared } from './shaped-verify.js';

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
}

export type SynthResult = RunResult;

export function runSynth(options: SynthRunOptions): Promise<SynthResult> {
  if (options.shapes) return runShapedSynth({ ...options, shapes: options.shapes });
  const { mix, keys, ...shape } = options.workload;
  const operations = mix && !isPureInserts(mix) ? describeOperations(options.workload, mix, keys) : undefined;
  let workload: SyntheticWorkload | undefined;
  return runLoad(options, {
    describe: {
      command: 'synth',
      table: options.table,
      workload: {
        ...shape,
        ...(options.rate ? { rate: options.rate } : {}),
        ...(options.schedule ? { schedule: options.schedule } : {}),
        ...(operations ? { operations } : {}),
      },
    },
    source: (toolNodeName) => {
      workload = new SyntheticWorkload({
        frames: shape.frames,
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
        baseVersion: Date.now(),
        baseSequence: Date.now(),
      });
      return options.schedule ? new ScheduledSource(workload, options.schedule) : workload;
    },
    check: (bus) => {
      if (workload) warnOversizedFrames(workload, options, bus);
    },
    prepare: async (client, database, bus) => {
      await ensureTable(client, database, options.table);
      const total = shape.frames * shape.recordsPerFrame;
      const preexisting = options.verify ? await countIds(client, database, options.table, total) : 0;
      if (preexisting) {
        bus.emit({
          type: 'warning',
          message: `${database}.${options.table} on ${client.url} already holds ${preexisting} of ids 1…${total}: verification cannot tell them from this run's records`,
        });
      }
    },
    verify: async (client, database) => {
      if (workload && !workload.plan.pureInserts) return verifyMix(client, database, options.table, workload);
      const total = shape.frames * shape.recordsPerFrame;
      return {
        expectedRecords: total,
        targetRecords: await countIds(client, database, options.table, total),
      };
    },
  });
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
    targetRecords: await countIds(client, database, table, state.maxId),
    sample: checkSample(ids, rows, state, workload.encoder, attributes),
  };
}

async function ensureTable(client: OperationsClient, database: string, table: string): Promise<void> {
  // The table must exist before the target subscribes: on 4.7.29 blob records are dropped otherwise.
  const all = await client.describeAll();
  if (!all[database]) await client.createDatabase(database);
  if (!all[database]?.[table]) await client.createTable(database, table, 'id');
}

async function countIds(
  client: OperationsClient,
  database: string,
  table: string,
  total: number,
): Promise<number> {
  const rows = await client.sql<{ c: number }>(
    `SELECT COUNT(*) AS c FROM \`${database}\`.\`${table}\` WHERE id >= 1 AND id <= ${total}`,
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
