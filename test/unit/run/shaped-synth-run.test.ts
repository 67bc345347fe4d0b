/** --scale's framing: equal frames that add up to exactly the scaled record count; each table's own scaled count. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capturedIdsOf, framing, scaledCounts } from '../../../src/run/shaped-synth-run.js';
import { fileShapes, type ShapeSource } from '../../../src/run/shaped-tables.js';

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
