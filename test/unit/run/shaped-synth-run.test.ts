/**
 * --scale's framing: equal frames that add up to exactly the scaled record count; each table's own scaled count.
 * --shard with templates: the shards' blocks together are the unsharded shaped run; one id range per shard.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  capturedIdsOf,
  framing,
  scaledCounts,
  shapedIdRange,
  shapedSource,
} from '../../../src/run/shaped-synth-run.js';
import { fileShapes, type ShapeSource } from '../../../src/run/shaped-tables.js';
import { parseStages } from '../../../src/workload/rate-schedule.js';
import { parseTemplate } from '../../../src/workload/shape-template.js';
import { ShapedRecordEncoder } from '../../../src/workload/shaped-encoder.js';
import { type ShardRun, shardBaseTime } from '../../../src/workload/shard.js';
import { frameAt, type SentFrame } from '../../helpers/frame-reader.js';

describe('framing', () => {
  it('the largest frame size that divides the total, not above the limit', () => {
    assert.deepEqual(framing(200, 50), { frames: 4, recordsPerFrame: 50 });
    assert.deepEqual(framing(200_010, 1000), { frames: 226, recordsPerFrame: 885 });
    assert.deepEqual(framing(30, 500), { frames: 1, recordsPerFrame: 30 });
    assert.deepEqual(framing(13, 5), { frames: 13, recordsPerFrame: 1 });
    for (const [total, limit] of [
      [997, 100],
      [1000, 7],
      [123_456, 500],
    ] as const) {
      const { frames, recordsPerFrame } = framing(total, limit);
      assert.equal(frames * recordsPerFrame, total);
      assert.ok(recordsPerFrame <= limit);
    }
  });
});

describe('scaledCounts', () => {
  it("scales each captured table's own count; a table not from a capture gets the largest; none without --scale", () => {
    const captured = (capturedRecords: number) => ({ capturedRecords });
    const table: ShapeSource = { kind: 'table', database: 'data', table: 'products' };
    assert.deepEqual(scaledCounts([captured(10), captured(10), captured(5)], 4), [40, 40, 20]);
    assert.deepEqual(scaledCounts([captured(3), table], 2.5), [8, 8]);
    assert.equal(scaledCounts([captured(3)], undefined), undefined);
  });
});

describe('capturedIdsOf (--scale with --mix)', () => {
  it("per table the captured ids the plan's ids stand for; leading inserts re-create the largest table's", async () => {
    const pending = await fileShapes(
      {
        sources: [{ kind: 'capture', path: 'captures/proxy-three-databases.hrcap' }],
        scale: 4,
        keepTable: false,
        intoSourceTable: false,
      },
      1,
      't',
      '_s',
      true,
    );
    const { tableIds, leadingInserts } = capturedIdsOf(pending, { frames: 4, recordsPerFrame: 10 });
    assert.equal(tableIds!.length, 3);
    const sizes = tableIds!.map((s) => s!.size);
    assert.equal(leadingInserts, Math.max(...sizes));
    for (const space of tableIds!) {
      for (let k = 1; k <= space!.size; k++) assert.ok(space!.ids[k - 1]! >= 1);
      assert.equal(space!.keyOf(space!.size + 1), space!.largest + 1);
    }
    assert.deepEqual(
      capturedIdsOf(pending, { frames: 1, recordsPerFrame: 3 }).leadingInserts,
      3,
      'at most every entry',
    );
    const fresh = await fileShapes(
      {
        sources: [{ kind: 'capture', path: 'captures/proxy-three-databases.hrcap' }],
        keepTable: false,
        intoSourceTable: false,
      },
      1,
      't',
      '_s',
    );
    assert.deepEqual(capturedIdsOf(fresh, { frames: 4, recordsPerFrame: 10 }), {}, 'new ids without --mix');
  });
});

describe('shapedSource with --shard (templates)', () => {
  const encoders = () => [
    new ShapedRecordEncoder(parseTemplate(readFileSync('templates/products.yaml', 'utf8')), {
      tableName: 'products',
      seed: 5,
    }),
  ];
  const plan = (shard?: ShardRun) => ({
    framed: { frames: 17, recordsPerFrame: 6 },
    seed: 5,
    table: 'products',
    encoders: encoders(),
    schedule: parseStages('1s:0-20rps,1s:20rps'),
    ...(shard ? { shard } : {}),
  });

  it('for n = 1…7 the blocks send the unsharded shaped frames (records, ids, versions, due times), ids per block', async () => {
    const runId = 'shaped-1';
    const base = shardBaseTime({ runId });
    const whole = shapedSource(plan(), 'origin', base).source;
    const expected = [];
    for (let i = 0; i < whole.frameCount; i++) expected.push(await frameAt(whole, i));
    for (let count = 1; count <= 7; count++) {
      const got: Array<SentFrame> = [];
      let nextId = 1;
      for (let index = 0; index < count; index++) {
        const shard: ShardRun = { spec: { index, count }, runId };
        const now = Date.now() + index;
        const { source } = shapedSource(plan(shard), 'origin', now);
        for (let k = 0; k < source.frameCount; k++) {
          const frame = await frameAt(source, k);
          assert.ok(frame.tail > now && frame.tail > frame.version, 'tails after the clock and the versions');
          got.push({ ...frame, tail: expected[got.length]!.tail });
        }
        // Verification: one id range per shard, the ranges together 1 … frames × records per frame.
        const ids = shapedIdRange(plan().framed, shard);
        assert.equal(ids.lo, nextId);
        assert.equal(ids.hi - ids.lo + 1, source.frameCount * 6);
        nextId = ids.hi + 1;
      }
      assert.equal(nextId, 17 * 6 + 1);
      assert.deepEqual(got, expected, `${count} shards`);
    }
  });

  it("a table's own count (--scale) caps its range; an unsharded run counts 1 … N", () => {
    const framed = { frames: 10, recordsPerFrame: 5 };
    assert.deepEqual(shapedIdRange(framed, undefined), { lo: 1, hi: 50 });
    assert.deepEqual(shapedIdRange(framed, { spec: { index: 2, count: 3 }, runId: 'r' }, 42), {
      lo: 31,
      hi: 42,
    });
    const empty = shapedIdRange(framed, { spec: { index: 2, count: 3 }, runId: 'r' }, 20);
    assert.ok(empty.hi < empty.lo, 'a block past the table holds none of its ids');
  });
});
