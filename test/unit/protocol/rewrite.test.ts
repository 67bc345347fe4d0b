import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type RewriteOptions,
  rewriteTxnFrame,
  rewriteTxnFrameInPlace,
  TAIL_ROOM,
} from '../../../src/protocol/rewrite.js';
import { decodeTxnFrame, TxnFrameWriter } from '../../../src/protocol/txn-frame.js';
import { CodecError } from '../../../src/protocol/varint.js';
import { goldenBytes } from '../support.js';

/** Everything of an entry but the fields a rewrite may change. */
const content = (frame: Uint8Array) =>
  decodeTxnFrame(frame).entries.map((e) => ({
    type: e.type,
    key: e.key,
    tableId: e.tableId,
    user: e.user,
    originatingOperation: e.originatingOperation,
    value: e.value ? Buffer.from(e.value).toString('hex') : undefined,
  }));

describe('rewriteTxnFrame on golden 4.7.29 frames', () => {
  for (const name of ['a.txn_insert_2', 'a.txn_upsert_1', 'a.txn_delete_1', 'b.tool_txn_put']) {
    it(`${name}: new version and tail, everything else byte for byte`, () => {
      const original = goldenBytes(name);
      const { frame, entries, dropped } = rewriteTxnFrame(original, {
        version: 1_900_000_000_000.5,
        sequenceId: 42.25,
      });
      const decoded = decodeTxnFrame(frame);
      assert.equal(decoded.txnTime, 1_900_000_000_000.5);
      assert.equal(decoded.sequenceId, 42.25);
      assert.ok(decoded.entries.every((e) => e.version === 1_900_000_000_000.5));
      assert.equal(entries, decodeTxnFrame(original).entries.length);
      assert.equal(dropped, 0);
      assert.deepEqual(content(frame), content(original));
    });
  }

  it('keeps versions when not retimed, and replaces the captured tail', () => {
    const original = goldenBytes('a.txn_insert_2');
    const { frame } = rewriteTxnFrame(original, { sequenceId: 7 });
    assert.equal(frame.length, original.length, 'same size: only the tail value changed');
    assert.deepEqual(frame.subarray(0, original.length - 8), original.subarray(0, original.length - 8));
    assert.equal(decodeTxnFrame(frame).sequenceId, 7);
  });

  it('adds a tail to a catch-up frame that had none', () => {
    const plain = new TxnFrameWriter()
      .begin(1000)
      .addEntry({ type: 'put', nodeId: 0, tableId: 3, key: 5, version: 1000 }, Buffer.from([0x40, 1]))
      .finish();
    const { frame } = rewriteTxnFrame(plain, { sequenceId: 99 });
    assert.equal(decodeTxnFrame(plain).sequenceId, undefined);
    assert.equal(decodeTxnFrame(frame).sequenceId, 99);
  });

  it('maps node ids, growing the varint when it must', () => {
    const original = new TxnFrameWriter()
      .begin(1000)
      .addEntry(
        { type: 'put', nodeId: 0, tableId: 3, key: 'a', version: 1000, user: 'admin' },
        Buffer.from([0x40, 1]),
      )
      .addEntry({ type: 'delete', nodeId: 5, tableId: 3, key: 'b', version: 1000 })
      .finish(1);
    const { frame } = rewriteTxnFrame(original, {
      sequenceId: 2,
      nodeId: (id) => (id === 0 ? 300 : 0),
      version: 2000,
    });
    const entries = decodeTxnFrame(frame).entries;
    assert.deepEqual(
      entries.map((e) => e.nodeId),
      [300, 0],
    );
    assert.deepEqual(
      entries.map((e) => e.version),
      [2000, 2000],
    );
    assert.deepEqual(
      entries.map((e) => [e.key, e.user]),
      [
        ['a', 'admin'],
        ['b', undefined],
      ],
    );
  });

  it('drops entries of unwanted tables', () => {
    const original = new TxnFrameWriter()
      .begin(1000)
      .addEntry({ type: 'put', nodeId: 0, tableId: 1, key: 1, version: 1000 }, Buffer.from([0x40, 1]))
      .addEntry({ type: 'put', nodeId: 0, tableId: 2, key: 2, version: 1000 }, Buffer.from([0x40, 2]))
      .addEntry({ type: 'put', nodeId: 0, tableId: 1, key: 3, version: 1000 }, Buffer.from([0x40, 3]))
      .finish(1);
    const { frame, entries, dropped } = rewriteTxnFrame(original, {
      sequenceId: 2,
      keepTable: (id) => id === 1,
    });
    assert.equal(entries, 2);
    assert.equal(dropped, 1);
    assert.deepEqual(
      decodeTxnFrame(frame).entries.map((e) => e.key),
      [1, 3],
    );
  });

  it('refuses what is not a transaction frame, and frames cut short', () => {
    assert.throws(() => rewriteTxnFrame(Buffer.from([0x93, 1, 2]), { sequenceId: 1 }), CodecError);
    const original = goldenBytes('a.txn_insert_2');
    let refused = 0;
    for (let cut = 9; cut < original.length - 10; cut++) {
      try {
        // A cut exactly at an entry boundary is a valid, shorter frame.
        const { entries } = rewriteTxnFrame(original.subarray(0, cut), { sequenceId: 1 });
        assert.ok(entries < 2, `cut at ${cut} kept ${entries} entries`);
      } catch (error) {
        assert.ok(error instanceof CodecError, `cut at ${cut}: ${(error as Error).message}`);
        refused++;
      }
    }
    assert.ok(refused > 50, `cuts inside entries are refused (${refused})`);
  });
});

/** A frame copied into a buffer with tail room after it, as the replay source reads one. */
function withRoom(frame: Uint8Array): Buffer {
  const buffer = Buffer.alloc(frame.length + TAIL_ROOM, 0xee);
  buffer.set(frame);
  return buffer;
}

describe('rewriteTxnFrameInPlace', () => {
  const tableEntries = (tables: number[], nodeIds: number[], tail?: number) => {
    const writer = new TxnFrameWriter().begin(1000);
    for (const [i, tableId] of tables.entries())
      writer.addEntry(
        { type: 'put', nodeId: nodeIds[i % nodeIds.length]!, tableId, key: i, version: 1000, user: 'u' },
        Buffer.from([0x40, i & 0xff]),
      );
    return writer.finish(tail);
  };

  it('gives the same bytes as the copying rewrite, for any options, with or without a captured tail', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: 1, max: 1e6 }), { nil: undefined }),
        fc.record({
          version: fc.option(fc.double({ min: 1, max: 2e12, noNaN: true }), { nil: undefined }),
          sequenceId: fc.integer({ min: 1, max: 2 ** 40 }),
          mapTo: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
          keep: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        }),
        (tables, nodeIds, tail, o) => {
          const original = tableEntries(tables, nodeIds, tail);
          const options: RewriteOptions = {
            version: o.version,
            sequenceId: o.sequenceId,
            nodeId: o.mapTo === undefined ? undefined : () => o.mapTo!,
            keepTable: o.keep === undefined ? undefined : (id) => id !== o.keep,
          };
          const copied = rewriteTxnFrame(original, options);
          const inPlace = rewriteTxnFrameInPlace(withRoom(original), original.length, options);
          assert.deepEqual(inPlace.frame, copied.frame);
          assert.equal(inPlace.entries, copied.entries);
          assert.equal(inPlace.dropped, copied.dropped);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses frames cut inside an entry as the copying rewrite does', () => {
    const original = goldenBytes('a.txn_insert_2');
    let refused = 0;
    for (let cut = 9; cut < original.length - 10; cut++) {
      const part = original.subarray(0, cut);
      const copied = (() => {
        try {
          return rewriteTxnFrame(part, { sequenceId: 1, version: 5 }).frame;
        } catch (error) {
          return error as Error;
        }
      })();
      try {
        const { frame } = rewriteTxnFrameInPlace(withRoom(part), cut, { sequenceId: 1, version: 5 });
        assert.deepEqual(frame, copied, `cut at ${cut}`);
      } catch (error) {
        assert.ok(error instanceof CodecError, `cut at ${cut}: ${(error as Error).message}`);
        assert.ok(copied instanceof CodecError, `cut at ${cut}: the copying rewrite refused it too`);
        refused++;
      }
    }
    assert.ok(refused > 50, `cuts inside entries are refused (${refused})`);
  });

  it('rewrites in the given buffer (no copy) when no entry moves', () => {
    const original = goldenBytes('a.txn_insert_2');
    const buffer = withRoom(original);
    const { frame } = rewriteTxnFrameInPlace(buffer, original.length, { version: 5e12, sequenceId: 3 });
    assert.equal(frame.buffer, buffer.buffer);
    assert.equal(frame.byteOffset, buffer.byteOffset);
    assert.equal(decodeTxnFrame(frame).sequenceId, 3);
    assert.ok(decodeTxnFrame(frame).entries.every((e) => e.version === 5e12));
  });

  it('copies once when a node id grows, leaving the read buffer as it was', () => {
    const original = tableEntries([1, 1], [0]);
    const buffer = withRoom(original);
    const before = Buffer.from(buffer);
    const { frame } = rewriteTxnFrameInPlace(buffer, original.length, { sequenceId: 3, nodeId: () => 300 });
    assert.notEqual(frame.buffer, buffer.buffer);
    assert.deepEqual(buffer, before);
    assert.deepEqual(
      decodeTxnFrame(frame).entries.map((e) => e.nodeId),
      [300, 300],
    );
  });

  it('refuses a buffer without tail room and what is not a transaction frame', () => {
    const original = goldenBytes('a.txn_insert_2');
    assert.throws(
      () => rewriteTxnFrameInPlace(Buffer.from(original), original.length, { sequenceId: 1 }),
      RangeError,
    );
    assert.throws(
      () => rewriteTxnFrameInPlace(withRoom(Buffer.from([0x93, 1, 2])), 3, { sequenceId: 1 }),
      CodecError,
    );
  });
});
