/**
 * report --merge, pure: a real run's samples (a synth of 24 frames against harperdb 4.7.29, committed as a fixture)
 * split by the shard rule into n shard files and merged give the single file's result: counts and percentiles
 * exact. A missing, duplicate, foreign, non-shard or killed shard makes the merge incomplete (exit 9).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExitCode } from '../../../src/common/errors.js';
import type { RunEvent } from '../../../src/events/schema.js';
import {
  checkShards,
  foldShards,
  ShardScan,
  SKEW_WARN_MS,
  SOCKET_ID_STRIDE,
} from '../../../src/report/merge-shards.js';
import { ResultBuilder, type RunResult } from '../../../src/report/result.js';
import { readRun, split } from '../../helpers/shard-split.js';

const RUN = readRun();

function fold(events: RunEvent[]): RunResult {
  const builder = new ResultBuilder();
  for (const event of events) builder.sink(event);
  return builder.build();
}

async function* stream(events: RunEvent[]): AsyncGenerator<RunEvent> {
  yield* events;
}

/** The shard files merged as `report --merge` does (files named shard-i.ndjson unless named). */
async function merge(shards: RunEvent[][], names?: string[]): Promise<RunResult> {
  const files = new Map<string, RunEvent[]>();
  const scans = shards.map((events, i) => {
    const path = names?.[i] ?? `shard-${i}.ndjson`;
    files.set(path, events);
    const scan = new ShardScan(path);
    for (const event of events) scan.sink(event);
    return scan;
  });
  return foldShards(checkShards(scans), (scan) => stream(files.get(scan.path)!));
}

/** Everything of a result that a split cannot change: what was sent, committed, verified; timing; the target. */
function comparable(result: RunResult) {
  const { sent, committed, verify, acks, timing, pauses, memory, workers, outcome, exitCode, workload } =
    result;
  const streams = result.streams.map(({ sent, committed, verify }) => ({ sent, committed, verify }));
  return {
    sent,
    committed,
    verify,
    acks,
    timing,
    pauses,
    memory,
    workers,
    outcome,
    exitCode,
    workload,
    streams,
    trends: result.trends,
  };
}

describe('merge-shards: split by the shard rule and merged = the single file', () => {
  const single = fold(RUN);

  it('the fixture is a real, complete run with latencies to compare', () => {
    assert.equal(single.outcome, 'complete');
    assert.equal(single.committed.frames, 24);
    assert.equal(single.committed.records, 600);
    assert.ok(single.committed.ackLatencyMs.p99! > 0);
    assert.ok(single.memory.peakRss! > 0);
  });

  for (const count of [1, 2, 3, 4, 5, 7]) {
    it(`n = ${count}: counts, percentiles, verify, timing and the target's figures exact`, async () => {
      const shards = split(RUN, count);
      assert.equal(shards.length, count);
      const merged = await merge(shards);
      assert.deepEqual(comparable(merged), comparable(single));
      assert.equal(merged.merge?.complete, true);
      assert.deepEqual(merged.merge?.missing, []);
      assert.equal(merged.merge?.shards.length, count);
      assert.equal(
        merged.merge!.shards.reduce((sum, s) => sum + s.committedRecords, 0),
        single.committed.records,
      );
    });
  }

  it('per-shard figures: each shard its own block, its own ack p99, only shard 0 samples the target', async () => {
    const merged = await merge(split(RUN, 3));
    assert.deepEqual(
      merged.merge!.shards.map((s) => [s.index, s.sentRecords, s.samplesTarget, s.finished]),
      [
        [0, 200, true, true],
        [1, 200, false, true],
        [2, 200, false, true],
      ],
    );
    for (const shard of merged.merge!.shards) {
      assert.ok(shard.ackP99Ms !== null && shard.ackP99Ms <= single.committed.ackLatencyMs.max!);
      assert.ok(shard.firstSendOffsetMs !== null && shard.firstSendOffsetMs >= 0);
    }
    assert.equal(merged.merge!.shards[0]!.firstSendOffsetMs, 0);
  });

  it("keeps each shard's sockets apart (every process numbers its own from 1)", async () => {
    const shards = split(RUN, 3);
    const scans = shards.map((events, i) => {
      const scan = new ShardScan(`shard-${i}`);
      for (const event of events) scan.sink(event);
      return scan;
    });
    const sockets = new Set<number>();
    await foldShards(checkShards(scans), (scan) => stream(shards[scan.index!]!), {
      onEvent: (e) => {
        if (e.type === 'connection') sockets.add(e.socketId);
      },
    });
    const own = new Set(RUN.flatMap((e) => (e.type === 'connection' ? [e.socketId] : [])));
    assert.ok(own.size > 0);
    assert.deepEqual(
      [...sockets].sort((a, b) => a - b),
      [0, 1, 2].flatMap((shard) => [...own].map((id) => shard * SOCKET_ID_STRIDE + id)).sort((a, b) => a - b),
    );
  });
});

describe('merge-shards: an incomplete set', () => {
  const shards = () => split(RUN, 3);

  it('a missing shard: incomplete, exit 9, the missing index named, thresholds not evaluated', async () => {
    const [zero, , two] = shards();
    const withThreshold = zero!.map((e) =>
      e.type === 'run-meta' ? { ...e, meta: { ...e.meta, thresholds: ['committedRecords>=1'] } } : e,
    );
    const merged = await merge([withThreshold, two!]);
    assert.equal(merged.outcome, 'incomplete');
    assert.equal(merged.exitCode, ExitCode.SHARDS_INCOMPLETE);
    assert.deepEqual(merged.merge?.missing, [1]);
    assert.match(merged.error ?? '', /missing shard 1 of 3/);
    assert.deepEqual(
      merged.thresholds.map((t) => [t.expression, t.ok]),
      [['committedRecords>=1', null]],
    );
    assert.equal(merged.committed.records, 400);
  });

  it('a duplicate shard: the second file left out and named', async () => {
    const [zero, one, two] = shards();
    const merged = await merge([zero!, one!, one!, two!], ['a', 'b', 'c', 'd']);
    assert.equal(merged.exitCode, ExitCode.SHARDS_INCOMPLETE);
    assert.match(merged.error ?? '', /shard 1 twice: b and c/);
    assert.equal(merged.committed.records, 600, 'the duplicate is not counted twice');
  });

  it("another run's shard and a file that is not a shard: left out and named", async () => {
    const [zero, one, two] = shards();
    const [, foreign] = split(RUN, 3, 'run-other');
    const merged = await merge([zero!, one!, two!, foreign!, RUN], ['0', '1', '2', 'foreign', 'plain']);
    assert.equal(merged.exitCode, ExitCode.SHARDS_INCOMPLETE);
    assert.match(merged.error ?? '', /foreign: run id "run-other", not "run-42"/);
    assert.match(merged.error ?? '', /plain: not a shard/);
    assert.equal(merged.merge?.runId, 'run-42');
    assert.equal(merged.committed.records, 600);
  });

  it('a shard killed before its run-end: its peer name given, so its registration can be removed', async () => {
    const [zero, one, two] = shards();
    const killedAt = two!.findIndex((e) => e.type === 'frame-committed');
    const killed = two!.slice(0, killedAt + 1);
    const merged = await merge([zero!, one!, killed]);
    assert.equal(merged.exitCode, ExitCode.SHARDS_INCOMPLETE);
    assert.equal(merged.outcome, 'incomplete');
    const peer = RUN.find((e) => e.type === 'run-meta')!;
    const name = (peer as Extract<RunEvent, { type: 'run-meta' }>).meta.toolNodeName;
    assert.deepEqual(merged.merge?.unfinished, [{ index: 2, toolNodeName: name, path: 'shard-2.ndjson' }]);
    assert.match(merged.error ?? '', new RegExp(`shard 2 .*without its run-end.*${name}`));
    assert.equal(merged.merge?.shards[2]?.finished, false);
  });

  it('no shard at all: an error, not an empty result', async () => {
    const scan = new ShardScan('plain');
    for (const event of RUN) scan.sink(event);
    await assert.rejects(
      foldShards(checkShards([scan]), () => stream(RUN)),
      /no shard to merge: plain: not a shard/,
    );
  });
});

describe('merge-shards: outcome, thresholds and skew', () => {
  it("the outcome is the worst shard's, with its exit code and error", async () => {
    const [zero, one, two] = split(RUN, 3);
    const failed = one!.map((e) =>
      e.type === 'run-end'
        ? { ...e, outcome: 'failed' as const, exitCode: ExitCode.ERROR, error: 'boom' }
        : e,
    );
    const merged = await merge([zero!, failed, two!]);
    assert.equal(merged.outcome, 'failed');
    assert.equal(merged.exitCode, ExitCode.ERROR);
    assert.equal(merged.error, 'shard 1: boom');
    assert.equal(merged.merge?.complete, true);
  });

  it('thresholds judge the merged result: 600 records committed passes where every shard alone fails', async () => {
    const shards = split(RUN, 3).map((events) =>
      events.map((e) =>
        e.type === 'run-meta' ? { ...e, meta: { ...e.meta, thresholds: ['committedRecords>=600'] } } : e,
      ),
    );
    const merged = await merge(shards);
    assert.deepEqual(
      merged.thresholds.map((t) => [t.value, t.ok]),
      [[600, true]],
    );
    assert.equal(merged.exitCode, ExitCode.OK);
    assert.equal(fold(shards[1]!).exitCode, ExitCode.THRESHOLD_BREACHED, 'one shard alone breaches it');
  });

  it('a shard run with other --frames: not one run (incomplete), and its overlapping frames warned', async () => {
    const [zero, one] = split(RUN, 2);
    // 1/2 of 1 frame starts at frame 0, as shard 0 does: the two send the same frames.
    const other = one!.map((e) =>
      e.type === 'run-meta' ? { ...e, meta: { ...e.meta, workload: { ...e.meta.workload, frames: 1 } } } : e,
    );
    const merged = await merge([zero!, other]);
    assert.equal(merged.exitCode, ExitCode.SHARDS_INCOMPLETE);
    assert.match(merged.error ?? '', /shard 1: workload.frames 1 differs from shard 0's: not one run/);
    assert.match(merged.warnings.join('\n'), /shards 0 and 1 both sent frame 0 first on .*\/data/);
    assert.ok(!(await merge(split(RUN, 2))).warnings.some((w) => /overlap/.test(w)));
  });

  it("frames numbered from 0 in each shard are the whole run's again: an unacked frame keeps its number", async () => {
    // Drop the commit of the whole run's frame 17 (shard 2 of 3's local frame 1).
    const [zero, one, two] = split(RUN, 3);
    const lost = two!.filter((e) => !(e.type === 'frame-committed' && e.index === 1));
    const merged = await merge([zero!, one!, lost]);
    assert.equal(merged.acks.unackedFrames, 1);
    assert.deepEqual(merged.acks.unacked, [{ index: 17 }]);
    assert.deepEqual(
      merged.merge!.shards.map((s) => s.committedRecords),
      [200, 200, 175],
    );
  });

  it('a shard whose clock runs late: the skew is measured and warned, never corrected', async () => {
    const lateMs = SKEW_WARN_MS + 1500;
    const [zero, one, two] = split(RUN, 3);
    const late = two!.map((e) => ({ ...e, t: e.t + lateMs }));
    const merged = await merge([zero!, one!, late]);
    const spread = merged.merge!.skew.firstSendSpreadMs!;
    assert.ok(spread >= lateMs, `${spread}`);
    assert.match(merged.warnings.join('\n'), /first frames up to \d+ ms apart, shard 2 last/);
    assert.equal(merged.merge!.skew.runStartSpreadMs, lateMs);
    const aligned = await merge(split(RUN, 3));
    assert.ok(!aligned.warnings.some((w) => /apart/.test(w)));
  });
});
