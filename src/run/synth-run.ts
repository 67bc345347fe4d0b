/**
 * synth: the deterministic synthesizer as a load — the table made before the target subscribes, records counted
 * by id range afterwards.
 */

import type { MetricsBus } from '../events/metrics-bus.js';
import type { BlobFault } from '../events/schema.js';
import type { OperationsClient } from '../harper/operations-client.js';
import { PEER_MODE_MAX_FRAME } from '../protocol/codes.js';
import type { RunResult } from '../report/result.js';
import type { WorkloadShape } from '../workload/presets.js';
import { SyntheticWorkload } from '../workload/synthetic.js';
import { type LoadRunOptions, runLoad } from './load-run.js';
import { runShapedSynth } from './shaped-synth-run.js';
import type { ShapeOptions } from './shaped-tables.js';

export interface SynthRunOptions extends LoadRunOptions {
  table: string;
  /** blobFaults: blobs to send wrong on purpose (--blob-faults). */
  workload: WorkloadShape & { seed: number; preset?: string; blobFaults?: BlobFault[] };
  /** Shaped records (--template, --like) instead of {id, frame, payload}. */
  shapes?: ShapeOptions;
}

export type SynthResult = RunResult;

export function runSynth(options: SynthRunOptions): Promise<SynthResult> {
  if (options.shapes) return runShapedSynth({ ...options, shapes: options.shapes });
  const shape = options.workload;
  let workload: SyntheticWorkload | undefined;
  return runLoad(options, {
    describe: {
      command: 'synth',
      table: options.table,
      workload: { ...shape, ...(options.rate ? { rate: options.rate } : {}) },
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
        tableName: options.table,
        originName: toolNodeName,
        baseVersion: Date.now(),
        baseSequence: Date.now(),
      });
      return workload;
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
      const total = shape.frames * shape.recordsPerFrame;
      return {
        expectedRecords: total,
        targetRecords: await countIds(client, database, options.table, total),
      };
    },
  });
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
