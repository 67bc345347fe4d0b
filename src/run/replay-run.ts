/**
 * replay: a capture as a load. Every captured connection with data is replayed at once by default, each its own
 * stream into the database it subscribed to, on one clock (their captured interleaving kept); --connection narrows
 * it to one. The tables the capture's structures name are created on the target before it subscribes (4.7.29
 * drops blob records otherwise); completeness is judged by acks (every frame carries a fresh tail), not by counting
 * rows, since the target may hold the rows already.
 */

import type { MetricsBus } from '../events/metrics-bus.js';
import type { OperationsClient } from '../harper/operations-client.js';
import { PEER_MODE_MAX_FRAME, PUSH_MODE_MAX_FRAME } from '../protocol/codes.js';
import type { RunResult } from '../report/result.js';
import { scheduledOffsetMs } from '../session/stream-sender.js';
import {
  type CaptureIndex,
  ReplayCapture,
  type ReplayOptions,
  type ReplaySource,
} from '../workload/replay-source.js';
import { type ShardRun, shardBaseTime, shardSequenceBase } from '../workload/shard.js';
import { ShardedSource, stripeFrames } from '../workload/sharded-source.js';
import type { FrameSource } from '../workload/synthetic.js';
import { type LoadRunOptions, runLoad } from './load-run.js';
import { createUnlessExists } from './target.js';

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

/**
 * When the last frame of any replayed stream is due (ms after the run's clock starts), as the sender schedules it
 * (the capture's clock, or --rate), or null when flat out: the shortest the replay can take.
 */
export function scheduledDurationMs(capture: ReplayCapture, rate: number | undefined): number | null {
  const interval = rate ? 1000 / rate : 0;
  const due = capture.sources
    .filter((source) => source.frameCount > 0)
    .map((source) => scheduledOffsetMs(source, source.frameCount - 1, 0, interval, 0))
    .filter((ms): ms is number => ms !== undefined);
  return due.length ? Math.max(...due) : null;
}

/** Indexes a capture for a replay (also what --dry-run reports). */
export function openReplay(
  path: string,
  options: ReplayOptions,
  known?: CaptureIndex,
): Promise<ReplayCapture> {
  return ReplayCapture.open(path, options, known);
}

/** The database each replayed connection goes into: its own, else the run's (one connection, or --database). */
export function replayDatabases(capture: ReplayCapture, runDatabase: string): string[] {
  if (capture.sources.length === 1) return [runDatabase];
  return capture.sources.map((source) => source.database ?? runDatabase);
}

/** Connections of the capture that are not replayed (another connection of their database had more data). */
export function leftOutWarnings(capture: ReplayCapture): string[] {
  return capture.leftOut.map(
    (c) =>
      `connection ${c.connection} (${c.database ?? 'its database unknown'}, ${c.frames} frames) is not replayed: another connection of that database carries more; pick it with --connection ${c.connection}`,
  );
}

export async function runReplay(given: ReplayRunOptions, capture: ReplayCapture): Promise<ReplayResult> {
  const databases = given.databases?.length ? given.databases : replayDatabases(capture, given.database);
  const options = databases.length > 1 ? { ...given, databases } : given;
  const byDatabase = new Map(databases.map((database, i) => [database, capture.sources[i]!]));
  const first = capture.sources[0]!;
  const tables = [...new Set(capture.sources.flatMap((s) => [...s.tables.values()].map((t) => t.name)))];
  const frames = capture.frameCount;
  return runLoad(options, {
    describe: {
      command: 'replay',
      table: tables.join(',') || '*',
      workload: {
        frames,
        recordsPerFrame: frames ? Math.round(capture.totalRecords / frames) : 0,
        recordSize: capture.totalRecords
          ? Math.round(capture.bytes / (capture.totalRecords / Math.max(1, first.loopCount)))
          : 0,
        blobSize: 0,
        seed: 0,
        ...(options.rate ? { rate: options.rate } : {}),
        ...(options.replay.blobFaults?.length ? { blobFaults: [...options.replay.blobFaults] } : {}),
      },
      replay: {
        capture: options.capture,
        connection: first.connection,
        ...(capture.sources.length > 1
          ? {
              connections: [...byDatabase].map(([database, s]) => ({
                connection: s.connection,
                database,
                frames: s.frameCount,
              })),
            }
          : {}),
        ...(first.sourceNodeName ? { sourceNodeName: first.sourceNodeName } : {}),
        frames: capture.sources.reduce((sum, s) => sum + s.framesPerLoop, 0),
        loops: Math.max(...capture.sources.map((s) => s.loopCount)),
        ...(options.replay.durationMs !== undefined ? { durationMs: options.replay.durationMs } : {}),
        speed: options.replay.speedLabel,
        fromFrame: options.replay.fromFrame,
        retime: options.replay.retime,
        origin: options.replay.origin,
        scheduledDurationMs: scheduledDurationMs(capture, options.rate),
        paceBy: options.replay.paceBy ?? 'arrival',
        paceSpansMs: { arrival: capture.paceSpans.arrivalMs, txnTime: capture.paceSpans.txnTimeMs },
        originalAckLatencyMs: first.originalAcks,
      },
    },
    source: (toolNodeName) => replaySources(capture, byDatabase, toolNodeName, options.shard),
    check: (bus) => {
      const warning = oversizedFrameWarning(capture.largestFrame, options.via);
      if (warning) bus.emit({ type: 'warning', message: warning });
      for (const message of leftOutWarnings(capture)) bus.emit({ type: 'warning', message });
    },
    prepare: (client, database, bus) =>
      prepareTables(client, database, byDatabase.get(database) ?? first, bus),
    // A shard's committed frames are a stripe: no --from-frame resumes it.
    ...(options.shard
      ? {}
      : {
          resumeHint: (committed: number) =>
            `resume with --from-frame ${options.replay.fromFrame + (committed % Math.max(1, first.framesPerLoop))}`,
        }),
    close: () => capture.close(),
  });
}

/**
 * The version base of a sharded replay: the common start, else the run id's instant but never before the capture
 * ended, the same for every shard. A replay into the database the capture came from must not lose to the captured
 * versions (an older version is skipped as superseded); the capture's end is after every captured version. (What
 * once looked like 4.7.29 dropping early versions was the tails: see shardSequenceBase.)
 */
export function replayShardBase(capture: Pick<ReplayCapture, 'index'>, shard: ShardRun): number {
  return Math.max(shardBaseTime(shard), Math.ceil(capture.index.endedAtMs) + 1000);
}

/**
 * What the replay sends: every captured connection's frames, or with --shard each connection's stripe of them (the
 * frames keep their due times; versions and tails count from the base every shard derives alike).
 */
export function replaySources(
  capture: ReplayCapture,
  byDatabase: ReadonlyMap<string, ReplaySource>,
  toolNodeName: string,
  shard: ShardRun | undefined,
  now = Date.now(),
): FrameSource | ReadonlyMap<string, FrameSource> {
  const versions = shard ? replayShardBase(capture, shard) : now;
  capture.start(toolNodeName, versions, shard ? shardSequenceBase(versions, now) : now);
  const part = (source: ReplaySource): FrameSource =>
    shard ? new ShardedSource(source, stripeFrames(shard.spec, source.frameCount)) : source;
  if (capture.sources.length === 1) return part(capture.sources[0]!);
  return new Map([...byDatabase].map(([database, source]) => [database, part(source)]));
}

async function prepareTables(
  client: OperationsClient,
  database: string,
  source: ReplaySource,
  bus: MetricsBus,
): Promise<void> {
  const all = await client.describeAll();
  if (!all[database]) await createUnlessExists(() => client.createDatabase(database));
  for (const table of source.tables.values()) {
    if (all[database]?.[table.name]) continue;
    if (source.options.tables?.length && !source.options.tables.includes(table.name)) continue;
    if (source.options.excludeTables?.includes(table.name)) continue;
    const key = table.structure.attributes.find((a) => a.isPrimaryKey)?.name ?? 'id';
    // Another shard of the run may have made it first.
    if (!(await createUnlessExists(() => client.createTable(database, table.name, key)))) continue;
    bus.emit({
      type: 'warning',
      message: `created ${database}.${table.name} (primary key ${key}) on ${client.url}`,
    });
  }
}
