/**
 * synth's parts that need no node: the frames a shard sends and the ids it verifies. The tables it makes and the
 * records it counts on a node are in the integration tests (synth, shard, backpressure, cluster).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarizeTxnFrame } from '../../../src/protocol/txn-frame.js';
import { synthIdRange, synthSource } from '../../../src/run/synth-run.js';
import { OpenEndedSource, openEndedFrameLimit } from '../../../src/workload/open-ended-source.js';
import { parseOperationMix } from '../../../src/workload/operation-mix.js';
import { parseStages } from '../../../src/workload/rate-schedule.js';
import { type ShardRun, shardBaseTime } from '../../../src/workload/shard.js';
import type { FrameSource } from '../../../src/workload/synthetic.js';

const workload = {
  frames: 31,
  recordsPerFrame: 5,
  recordSize: 64,
  blobSize: 0,
  seed: 7,
  mix: parseOperationMix('insert=70,update=20,delete=10'),
  keys: { kind: 'uniform' as const },
};
const schedule = parseStages('1s:0-100rps,1s:100rps');
const options = (shard?: ShardRun) => ({ workload, table: 't', schedule, ...(shard ? { shard } : {}) });

/** A frame as sent, its sequence tail (the last 10 bytes: `09 0b float64`) apart from the records before it. */
async function frameAt(source: FrameSource, index: number) {
  const frame = await source.build(index);
  const { sequenceId, txnTime } = summarizeTxnFrame(frame.data);
  assert.equal(sequenceId, frame.sequenceId, 'the bytes end with the frame’s tail');
  return {
    records: frame.data.subarray(0, frame.data.length - 10).toString('hex'),
    version: txnTime,
    tail: frame.sequenceId,
    due: source.due?.(index),
  };
}

describe('synthSource with --shard', () => {
  it('for n = 1…7 the shards send the unsharded run’s records, versions and due times; tails from --start-at', async () => {
    const runId = 'soak-7';
    for (const startAt of [undefined, Date.UTC(2030, 11, 4, 20, 0, 0)]) {
      // The unsharded run on the base every shard derives (its versions are Date.now() otherwise).
      const base = shardBaseTime({ runId, ...(startAt === undefined ? {} : { startAt }) });
      const whole = synthSource(options(), 'origin', base).source;
      const expected = [];
      for (let i = 0; i < whole.frameCount; i++) expected.push(await frameAt(whole, i));
      for (let count = 1; count <= 7; count++) {
        const got: Array<Awaited<ReturnType<typeof frameAt>>> = [];
        for (let index = 0; index < count; index++) {
          const shard: ShardRun = {
            spec: { index, count },
            runId,
            ...(startAt === undefined ? {} : { startAt }),
          };
          // A different clock: a shard's records do not depend on when its process started.
          const now = Date.now() + index;
          const { source } = synthSource(options(shard), 'origin', now);
          let previousTail = 0;
          for (let k = 0; k < source.frameCount; k++) {
            const frame = await frameAt(source, k);
            // Tails are the shard's cursor on the target: after its clock (4.7.29 asks a new peer for now − 60 s)
            // and its versions, increasing; with --start-at the same on every shard.
            assert.ok(frame.tail > now && frame.tail > frame.version, `tail ${frame.tail}`);
            assert.ok(frame.tail > previousTail, 'tails increase within a shard');
            previousTail = frame.tail;
            got.push(startAt === undefined ? { ...frame, tail: expected[got.length]!.tail } : frame);
          }
        }
        assert.deepEqual(got, expected, `${count} shards, start ${startAt}`);
      }
    }
  });

  it('each shard verifies one id range, and the ranges together are 1 … N', () => {
    const pure = { ...workload, mix: undefined, keys: undefined };
    assert.deepEqual(synthIdRange({ workload: pure }), { lo: 1, hi: 155 });
    for (let count = 1; count <= 7; count++) {
      let next = 1;
      for (let index = 0; index < count; index++) {
        const { lo, hi } = synthIdRange({ workload: pure, shard: { spec: { index, count }, runId: 'r' } });
        assert.equal(lo, next);
        assert.ok(hi >= lo - 1);
        next = hi + 1;
      }
      assert.equal(next, 156);
    }
  });
});

describe('synthSource open-ended (--duration without a rate)', () => {
  const pure = { frames: 0, recordsPerFrame: 200, recordSize: 64, blobSize: 0, seed: 7 };

  it('is an open-ended source bounded by the id space, or by --frames', () => {
    const { source } = synthSource({ workload: pure, table: 't', openEnded: { durationMs: 6000 } }, 'o');
    assert.ok(source instanceof OpenEndedSource);
    assert.equal(source.frameCount, openEndedFrameLimit(200));
    assert.equal(source.durationMs, 6000);
    const capped = synthSource(
      { workload: pure, table: 't', openEnded: { durationMs: 6000, maxFrames: 12 } },
      'o',
    );
    assert.equal(capped.source.frameCount, 12);
  });

  it('checks for leftovers over the whole range it may write (with --frames, the range of those)', () => {
    assert.deepEqual(synthIdRange({ workload: pure, openEnded: { durationMs: 6000 } }), {
      lo: 1,
      hi: openEndedFrameLimit(200) * 200,
    });
    assert.deepEqual(synthIdRange({ workload: pure, openEnded: { durationMs: 6000, maxFrames: 12 } }), {
      lo: 1,
      hi: 2400,
    });
  });
});
