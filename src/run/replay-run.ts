/**
 * replay: a capture as a load. The tables the capture's structures name are created on the target before it
 * subscribes (4.7.29 drops blob records otherwise); completeness is judged by acks (every frame carries a fresh
 * tail), not by counting rows, since the target may hold the rows already.
 */

import type { MetricsBus } from '../events/metrics-bus.js';
import type { OperationsClient } from '../harper/operations-client.js';
import { PEER_MODE_MAX_FRAME, PUSH_MODE_MAX_FRAME } from '../protocol/codes.js';
import type { RunResult } from '../report/result.js';
import { type ReplayOptions, ReplaySource } from '../workload/replay-source.js';
import { type LoadRunOptions, runLoad } from './load-run.js';

export interface ReplayRunOptions extends LoadRunOptions {
  capture: string;
  replay: ReplayOptions & { speedLabel: string };
}

export type ReplayResult = RunResult;

/** Said when the capture's largest frame is over what a 4.7 target accepts in this mode (dry run and run alike). */
export function oversizedFrameWarning(largestFrame: number, via: 'peer' | 'push'): string | undefined {
  const limit = via === 'peer' ? PEER_MODE_MAX_FRAME : PUSH_MODE_MAX_FRAME;
  if (largestFrame <= limit) return undefined;
  return `the capture's largest frame (${(largestFrame / 2 ** 20).toFixed(1)} MiB) exceeds the ${(limit / 2 ** 20).toFixed(0)} MiB a 4.7 node accepts ${via === 'peer' ? 'on connections it opened (peer mode): expect close 1009; use --via push' : 'from a pushing client'}`;
}

/** Indexes a capture for a replay (also what --dry-run reports). */
export function openReplay(path: string, options: ReplayOptions): Promise<ReplaySource> {
  return ReplaySource.open(path, options);
}

export async function runReplay(options: ReplayRunOptions, source: ReplaySource): Promise<ReplayResult> {
  const tables = [...source.tables.values()];
  return runLoad(options, {
    describe: {
      command: 'replay',
      table: tables.map((t) => t.name).join(',') || '*',
      workload: {
        frames: source.frameCount,
        recordsPerFrame: source.frameCount ? Math.round(source.totalRecords / source.frameCount) : 0,
        recordSize: source.totalRecords
          ? Math.round(source.bytes / (source.totalRecords / options.replay.loops))
          : 0,
        blobSize: 0,
        seed: 0,
        ...(options.rate ? { rate: options.rate } : {}),
      },
      replay: {
        capture: options.capture,
        connection: source.connection,
        ...(source.sourceNodeName ? { sourceNodeName: source.sourceNodeName } : {}),
        frames: source.framesPerLoop,
        loops: options.replay.loops,
        speed: options.replay.speedLabel,
        fromFrame: options.replay.fromFrame,
        retime: options.replay.retime,
        origin: options.replay.origin,
        scheduledDurationMs: source.scheduledDurationMs,
        originalAckLatencyMs: source.originalAcks,
      },
    },
    source: (toolNodeName) => source.start(toolNodeName),
    check: (bus) => {
      const warning = oversizedFrameWarning(source.largestFrame, options.via);
      if (warning) bus.emit({ type: 'warning', message: warning });
    },
    prepare: (client, database, bus) => prepareTables(client, database, source, bus),
    resumeHint: (committed) =>
      `resume with --from-frame ${options.replay.fromFrame + (committed % Math.max(1, source.framesPerLoop))}`,
    close: () => source.close(),
  });
}

async function prepareTables(
  client: OperationsClient,
  database: string,
  source: ReplaySource,
  bus: MetricsBus,
): Promise<void> {
  const all = await client.describeAll();
  if (!all[database]) await client.createDatabase(database);
  for (const table of source.tables.values()) {
    if (all[database]?.[table.name]) continue;
    if (source.options.tables?.length && !source.options.tables.includes(table.name)) continue;
    if (source.options.excludeTables?.includes(table.name)) continue;
    const key = table.structure.attributes.find((a) => a.isPrimaryKey)?.name ?? 'id';
    await client.createTable(database, table.name, key);
    bus.emit({
      type: 'warning',
      message: `created ${database}.${table.name} (primary key ${key}) on ${client.url}`,
    });
  }
}
