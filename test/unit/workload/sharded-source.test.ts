/**
 * A shard's part of a source: for n = 1…7 the shards' frames together are the unsharded run's frames — the same
 * bytes (ids, records, operations, versions, tails) and due times, each sent by exactly one shard.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOperationMix } from '../../../src/workload/operation-mix.js';
import { parseStages } from '../../../src/workload/rate-schedule.js';
import { ScheduledSource } from '../../../src/workload/scheduled-source.js';
import {
  blockFrames,
  ShardedSource,
  type ShardFrames,
  stripeFrames,
} from '../../../src/workload/sharded-source.js';
import { type FrameSource, SyntheticWorkload } from '../../../src/workload/synthetic.js';

function synthetic(frames: number, mix?: string) {
  return new SyntheticWorkload({
    frames,
    recordsPerFrame: 7,
    recordSize: 64,
    blobSize: 0,
    seed: 3,
    tableName: 't',
    originName: 'o',
    baseVersion: 1_800_000_000_000,
    baseSequence: 1_800_000_000_000,
    ...(mix ? { mix: parseOperationMix(mix), keys: { kind: 'uniform' as const } } : {}),
  });
}

interface Sent {
  data: string;
  sequenceId: number;
  records: number;
  due: number | undefined;
  stage: number | undefined;
}

async function sent(source: FrameSource, index: number): Promise<Sent> {
  const frame = await source.build(index);
  return {
    data: frame.data.toString('hex'),
    sequenceId: frame.sequenceId,
    records: frame.records,
    due: source.due?.(index),
    stage: source.stageOf?.(index),
  };
}

/** Every shard's frames, placed at the whole run's positions; fails on a position sent twice. */
async function union(
  whole: () => FrameSource,
  count: number,
  frames: (index: number, total: number) => ShardFrames,
): Promise<Sent[]> {
  const out: Sent[] = [];
  for (let index = 0; index < count; index++) {
    const inner = whole();
    const shard = new ShardedSource(inner, frames(index, inner.frameCount));
    let records = 0;
    for (let k = 0; k < shard.frameCount; k++) {
      const position = shard.positionOf(k);
      assert.equal(out[position], undefined, `frame ${position} sent twice`);
      const frame = await sent(shard, k);
      assert.equal(frame.sequenceId, shard.sequenceId(k));
      assert.equal(frame.records, shard.recordsIn(k));
      out[position] = frame;
      records += frame.records;
      if (k > 0) assert.ok(shard.sequenceId(k) > shard.sequenceId(k - 1), 'tails increase within a shard');
    }
    assert.equal(shard.totalRecords, records);
  }
  return out;
}

async function unsharded(source: FrameSource): Promise<Sent[]> {
  const out: Sent[] = [];
  for (let i = 0; i < source.frameCount; i++) out.push(await sent(source, i));
  return out;
}

describe('ShardedSource', () => {
  it('synth blocks: for n = 1…7 the shards together send the unsharded frames, bytes and tails alike', async () => {
    for (const frames of [1, 10, 23]) {
      const expected = await unsharded(synthetic(frames));
      for (let count = 1; count <= 7; count++) {
        const got = await union(
          () => synthetic(frames),
          count,
          (index, total) => blockFrames({ index, count }, total),
        );
        assert.deepEqual(got, expected, `${frames} frames over ${count} shards`);
      }
    }
  });

  it('a mix: each shard plans the whole run, so updates and deletes of other shards’ ids come out the same', async () => {
    const mix = 'insert=60,update=30,delete=10';
    const expected = await unsharded(synthetic(40, mix));
    for (let count = 2; count <= 7; count++) {
      const got = await union(
        () => synthetic(40, mix),
        count,
        (index, total) => blockFrames({ index, count }, total),
      );
      assert.deepEqual(got, expected, `${count} shards`);
    }
  });

  it('a schedule (--stages): every frame keeps its due time and stage in whichever shard sends it', async () => {
    const stages = parseStages('2s:0-200rps,3s:200rps,1s:200-0rps');
    const make = () => new ScheduledSource(synthetic(100), stages);
    const expected = await unsharded(make());
    assert.ok(expected.some((f) => f.due !== undefined && f.due > 0));
    for (let count = 1; count <= 7; count++) {
      assert.deepEqual(
        await union(make, count, (index, total) => blockFrames({ index, count }, total)),
        expected,
      );
      assert.deepEqual(
        await union(make, count, (index, total) => stripeFrames({ index, count }, total)),
        expected,
        'striped alike',
      );
    }
  });

  it('a shard with no frames (more shards than frames) sends nothing', async () => {
    const shard = new ShardedSource(synthetic(2), blockFrames({ index: 0, count: 3 }, 2));
    assert.equal(shard.frameCount, 0);
    assert.equal(shard.totalRecords, 0);
    assert.equal(new ShardedSource(synthetic(2), stripeFrames({ index: 2, count: 3 }, 2)).frameCount, 0);
  });

  it('a block of a synth run begins its preamble and liveness frame like the whole run', async () => {
    const whole = synthetic(9);
    const shard = new ShardedSource(synthetic(9), blockFrames({ index: 2, count: 3 }, 9));
    assert.deepEqual(await shard.preamble(['a']), await whole.preamble(['a']));
    assert.deepEqual(shard.livenessFrame?.().data, whole.livenessFrame().data);
    assert.equal((await shard.build(0)).index, 0, 'renumbered for the stream');
  });
});
