import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlobReference } from '../../../src/protocol/blob.js';
import { TableDecoders } from '../../../src/protocol/table-decoder.js';
import { FixedRecordEncoder, type FixedRecordOptions } from '../../../src/workload/fixed-record-encoder.js';

const OPTIONS: FixedRecordOptions = {
  seed: 5,
  tableName: 'fixed',
  recordSize: 200,
  recordsPerFrame: 10,
  blobSize: 0,
  blobsPerFrame: 0,
};

function roundTrip(encoder: FixedRecordEncoder, id: number, generation: number): Record<string, unknown> {
  const target = Buffer.alloc(encoder.valueBound + 8);
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  const end = encoder.write(target, 0, view, id, generation);
  assert.ok(end <= encoder.valueBound, `value of ${end} B within its bound ${encoder.valueBound}`);
  const decoders = new TableDecoders();
  decoders.define(1, 'fixed', encoder.tableStructure());
  return decoders.decode(1, target.subarray(0, end)) as Record<string, unknown>;
}

describe('FixedRecordEncoder', () => {
  it('writes what expected(id, generation) says, for every generation, near the record size', () => {
    const encoder = new FixedRecordEncoder(OPTIONS);
    for (const [id, generation] of [
      [1, 0],
      [1, 1],
      [700, 3],
      [2 ** 31, 70_000],
    ] as const) {
      assert.deepEqual(roundTrip(encoder, id, generation), encoder.expected(id, generation));
    }
    const target = Buffer.alloc(encoder.valueBound);
    const size = encoder.write(target, 0, new DataView(target.buffer, target.byteOffset), 1000, 0);
    assert.ok(Math.abs(size - 200) <= 3, `record of ${size} B for --record-size 200`);
  });

  it('is deterministic from the seed; generations and ids differ', () => {
    const a = new FixedRecordEncoder(OPTIONS);
    assert.deepEqual(new FixedRecordEncoder(OPTIONS).expected(9, 2), a.expected(9, 2));
    const payloads = new Set(
      [a.expected(9, 0), a.expected(9, 1), a.expected(9, 2), a.expected(10, 0)].map((r) => r.payload),
    );
    assert.equal(payloads.size, 4);
    assert.notEqual(
      new FixedRecordEncoder({ ...OPTIONS, seed: 6 }).expected(9, 0).payload,
      a.expected(9, 0).payload,
    );
  });

  it('the first blobsPerFrame ids of each frame of inserts carry a blob; an update writes a new blob', () => {
    const encoder = new FixedRecordEncoder({ ...OPTIONS, blobSize: 64, blobsPerFrame: 2, idOffset: 100 });
    assert.deepEqual(
      [101, 102, 103, 110, 111, 112, 113].map((id) => encoder.hasBlob(id)),
      [true, true, false, false, true, true, false],
    );
    const decoded = roundTrip(encoder, 111, 3);
    assert.ok(decoded.blob instanceof BlobReference);
    assert.equal((decoded.blob as BlobReference).fileId, encoder.fileId(111, 3));
    assert.notEqual(encoder.fileId(111, 3), encoder.fileId(111, 0));
    assert.ok(!encoder.blobContent(111, 3).equals(encoder.blobContent(111, 0)));
    assert.equal(encoder.blobContent(111, 3).length, 64);
    assert.deepEqual(encoder.expected(111, 3).blob, { size: 64 });
    assert.equal(encoder.blobOf(103, 0), undefined);
    assert.equal('blob' in roundTrip(encoder, 103, 1), false);
  });

  it('writes the same bytes copying from a pool kept in the target (poolAt) as from its own', () => {
    for (const recordSize of [40, 200, 3000]) {
      const encoder = new FixedRecordEncoder({ ...OPTIONS, recordSize });
      const pool = encoder.copySource;
      const target = Buffer.alloc(encoder.valueBound + 64 + pool.length);
      const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
      const poolAt = target.length - pool.length;
      target.set(pool, poolAt);
      for (const [id, generation] of [
        [1, 0],
        [77, 3],
        [123_456, 0],
        [2 ** 31, 9],
      ] as const) {
        const expected = Buffer.alloc(encoder.valueBound);
        const end = encoder.write(
          expected,
          0,
          new DataView(expected.buffer, expected.byteOffset),
          id,
          generation,
        );
        assert.equal(
          encoder.write(target, 5, view, id, generation, poolAt),
          5 + end,
          `size ${recordSize} id ${id}`,
        );
        assert.deepEqual(
          target.subarray(5, 5 + end),
          expected.subarray(0, end),
          `size ${recordSize} id ${id}`,
        );
      }
    }
  });
});
