/**
 * Harper Pro 5.x frames (test/fixtures/harper5/frames.ts, built from the source with citations): each decodes to
 * what its layout says, re-encodes to the same bytes, survives replay's rewrite, and mutations of them never make
 * the decoder throw anything but its own CodecError. The 4.7.29 golden frames decode with nothing reported unknown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { unpack } from 'msgpackr';
import type { AuditEntry, AuditEntryHeader } from '../../../src/protocol/audit-entry.js';
import {
  type ControlFrame,
  decodeControlFrame,
  encodeControl,
  isControlFrame,
} from '../../../src/protocol/control-frame.js';
import { rewriteTxnFrame } from '../../../src/protocol/rewrite.js';
import { decodeTxnFrame, TxnFrameWriter } from '../../../src/protocol/txn-frame.js';
import { CodecError } from '../../../src/protocol/varint.js';
import { harper5Fixtures, PUT_REFS, record, unknownFlagFrame } from '../../fixtures/harper5/frames.js';
import { goldenFrames } from '../support.js';

const fixture = (name: string) => {
  const found = harper5Fixtures.find((f) => f.name.startsWith(name));
  assert.ok(found, `fixture ${name}`);
  return found.bytes;
};
const control = (name: string): ControlFrame => decodeControlFrame(fixture(name));
/** Same bytes (hex: Buffer deep-equality also compares properties libraries hang on buffers). */
const sameBytes = (actual: Uint8Array, expected: Uint8Array, message?: string) =>
  assert.equal(Buffer.from(actual).toString('hex'), Buffer.from(expected).toString('hex'), message);

describe('Harper 5.x control frames from the source', () => {
  it('NODE_NAME: the 5th element is the subscription-setup capability, nothing left unknown', () => {
    const frame = control('NODE_NAME');
    assert.equal(frame.type, 'NODE_NAME');
    if (frame.type !== 'NODE_NAME') return;
    assert.deepEqual(frame.setup, { subscriptionSetupAck: 1, subscriptionSetupBudgetMs: 150000 });
    assert.equal(frame.unknownElements, undefined);
    sameBytes(
      encodeControl(140, frame.nodeName, frame.database, frame.tables, frame.setup),
      fixture('NODE_NAME'),
    );
  });

  it('SUBSCRIPTION_REQUEST carries its requestId; DB_SCHEMA echoes it', () => {
    const request = control('SUBSCRIPTION_REQUEST');
    const schema = control('DB_SCHEMA');
    assert.ok(request.type === 'SUBSCRIPTION_REQUEST' && schema.type === 'DB_SCHEMA');
    assert.equal(request.requestId, 1);
    assert.deepEqual(request.excludedNodes, ['node-x']);
    assert.equal(schema.requestIdEcho, 1);
    sameBytes(
      encodeControl(129, request.subscriptions, request.excludedNodes, request.requestId),
      fixture('SUBSCRIPTION_REQUEST'),
    );
    sameBytes(encodeControl(145, schema.tables, schema.database, schema.requestIdEcho), fixture('DB_SCHEMA'));
  });

  it('SUBSCRIPTION_UPDATE, COPY_START and COPY_COMPLETE are named', () => {
    const update = control('SUBSCRIPTION_UPDATE');
    assert.deepEqual(update, { type: 'SUBSCRIPTION_UPDATE', update: { excludeNodes: ['node-x'] } });
    const start = control('COPY_START');
    assert.equal(start.type, 'COPY_START');
    if (start.type === 'COPY_START') {
      assert.equal(start.copyOrderVersion, 1);
      sameBytes(encodeControl(148, start.copyStartTime, start.copyOrderVersion), fixture('COPY_START'));
    }
    assert.deepEqual(control('COPY_COMPLETE'), { type: 'COPY_COMPLETE' });
  });

  it('BLOB_CHUNK: transferId, errorCode and errorStatus are known header fields', () => {
    for (const name of ['BLOB_CHUNK with', 'BLOB_CHUNK last', 'BLOB_CHUNK error']) {
      const frame = control(name);
      assert.equal(frame.type, 'BLOB_CHUNK');
      if (frame.type !== 'BLOB_CHUNK') continue;
      assert.equal(frame.unknownHeaderFields, undefined, name);
      assert.equal(typeof frame.header.transferId, 'number', name);
      sameBytes(encodeControl(146, frame.header, frame.chunk), fixture(name));
    }
    const error = control('BLOB_CHUNK error');
    assert.ok(error.type === 'BLOB_CHUNK');
    assert.equal(error.header.errorCode, 'ENOENT');
    assert.equal(error.header.errorStatus, 404);
    assert.equal(error.chunk.length, 0);
  });

  it('an unknown header field, an extra element and an unknown command are reported, not dropped', () => {
    const odd = decodeControlFrame(
      encodeControl(146, { fileId: 'f', size: 1, checksum: 'x' }, Buffer.from('a')),
    );
    assert.ok(odd.type === 'BLOB_CHUNK');
    assert.deepEqual(odd.unknownHeaderFields, ['checksum']);
    const longer = decodeControlFrame(encodeControl(149, 'later'));
    assert.deepEqual(longer.unknownElements, { fromIndex: 1, elements: ['later'] });
    assert.deepEqual(decodeControlFrame(encodeControl(150, 1, 'x')), {
      type: 'UNKNOWN',
      code: 150,
      elements: [1, 'x'],
    });
  });
});

/** Writes decoded entries back with this tool's writer: the round trip of the txn fixtures. */
function reencode(txnTime: number, entries: AuditEntry[], sequenceId: number): Buffer {
  const writer = new TxnFrameWriter().begin(txnTime);
  const operations: Record<string, 1 | 2 | 3 | 4> = { insert: 1, update: 2, upsert: 3, put: 4 };
  for (const entry of entries) {
    assert.notEqual(entry.type, 'unknown');
    const header: AuditEntryHeader = {
      type: entry.type as AuditEntryHeader['type'],
      nodeId: entry.nodeId,
      tableId: entry.tableId,
      key: entry.key,
      version: entry.version,
      ...(entry.user ? { user: entry.user } : {}),
      ...(typeof entry.originatingOperation === 'string'
        ? { originatingOperation: operations[entry.originatingOperation] }
        : {}),
      ...(entry.additionalAuditRefs ? { additionalAuditRefs: entry.additionalAuditRefs } : {}),
      ...(entry.localOnly ? { extraFlags: 0x8000 } : {}),
    };
    writer.addEntry(header, entry.value ? Buffer.from(entry.value) : undefined);
  }
  return writer.finish(sequenceId);
}

describe('Harper 5.x transaction frames from the source', () => {
  const frame = fixture('transaction: put with');

  it('decodes the additional audit refs, put as originating operation, evict, lockRelease and local-only', () => {
    const txn = decodeTxnFrame(frame);
    assert.equal(txn.entries.length, 4);
    const [put, evict, lock, local] = txn.entries as [AuditEntry, AuditEntry, AuditEntry, AuditEntry];
    assert.equal(put.type, 'put');
    assert.deepEqual(put.additionalAuditRefs, PUT_REFS);
    assert.equal(put.originatingOperation, 'put');
    assert.equal(put.user, 'admin', 'the user follows the refs: a 4.7 reader would misread it');
    assert.deepEqual(unpack(put.value!), record);
    assert.equal(evict.type, 'evict');
    assert.equal(lock.type, 'lockRelease');
    assert.equal(lock.key, null);
    assert.deepEqual(unpack(lock.value!), { lock: 'k' });
    assert.equal(local.type, 'delete');
    assert.equal(local.localOnly, true);
    for (const entry of txn.entries) assert.equal(entry.undecoded, undefined, `${entry.type} fully decoded`);
  });

  it('round-trips through the writer byte for byte', () => {
    for (const name of ['transaction: put with', 'transaction: an entry with an empty']) {
      const txn = decodeTxnFrame(fixture(name));
      sameBytes(reencode(txn.txnTime, txn.entries, txn.sequenceId!), fixture(name), name);
    }
    const empty = decodeTxnFrame(fixture('transaction: an entry with an empty'));
    assert.deepEqual(empty.entries[0]!.additionalAuditRefs, []);
  });

  it("replay's rewrite keeps the refs (new version, mapped node id, fresh tail)", () => {
    const rewritten = rewriteTxnFrame(frame, { version: 2e12, sequenceId: 42, nodeId: (id) => id + 300 });
    const txn = decodeTxnFrame(rewritten.frame);
    assert.equal(txn.sequenceId, 42);
    const put = txn.entries[0]!;
    assert.equal(put.version, 2e12);
    assert.equal(put.nodeId, 301, 'node id widened from 1 byte to 2');
    assert.deepEqual(put.additionalAuditRefs, PUT_REFS);
    assert.equal(put.user, 'admin');
    assert.deepEqual(unpack(put.value!), record);
  });

  it('an unknown flag bit is reported with its offset and bytes, and user/value are not guessed', () => {
    const txn = decodeTxnFrame(unknownFlagFrame);
    const entry = txn.entries[0]!;
    assert.equal(entry.undecoded?.reason, 'unknown action flag bits 0x40');
    assert.equal(entry.user, undefined);
    assert.equal(entry.value, undefined);
    assert.equal(entry.originatingOperation, 'insert', 'known fields before the doubt are still read');
    // The undecoded bytes are exactly the rest of the entry, at their offset in the frame.
    const { offset, hex } = entry.undecoded!;
    assert.equal(unknownFlagFrame.subarray(offset, offset + hex.length / 2).toString('hex'), hex);
    assert.ok(hex.startsWith('dead'), hex);
  });
});

describe('4.7.29 golden frames', () => {
  it('decode with nothing reported unknown', () => {
    let entries = 0;
    for (const golden of goldenFrames()) {
      const bytes = Buffer.from(golden.hex, 'hex');
      if (isControlFrame(bytes)) {
        const frame = decodeControlFrame(bytes);
        assert.equal(frame.unknownElements, undefined, golden.name);
        if (frame.type === 'BLOB_CHUNK') assert.equal(frame.unknownHeaderFields, undefined, golden.name);
        continue;
      }
      for (const entry of decodeTxnFrame(bytes).entries) {
        entries++;
        assert.equal(entry.undecoded, undefined, `${golden.name}: ${JSON.stringify(entry.undecoded)}`);
      }
    }
    assert.ok(entries > 0);
  });
});

/** The decoder's contract on any bytes: a value, or a CodecError — never another exception. */
function decodeOrCodecError(bytes: Buffer): void {
  try {
    if (isControlFrame(bytes)) decodeControlFrame(bytes);
    else decodeTxnFrame(bytes);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
  }
}

describe('fuzzed 5.x fixtures', () => {
  const all = [...harper5Fixtures.map((f) => f.bytes), unknownFlagFrame];
  const mutation = fc.record({
    which: fc.nat({ max: all.length - 1 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('set', 'insert', 'delete')), {
      minLength: 1,
      maxLength: 6,
    }),
    cut: fc.option(fc.nat()),
  });

  it('byte flips, insertions, deletions and truncations never throw anything but CodecError', () => {
    fc.assert(
      fc.property(mutation, ({ which, edits, cut }) => {
        const bytes = [...all[which]!];
        for (const [at, value, kind] of edits) {
          const position = at % (bytes.length + 1);
          if (kind === 'set' && position < bytes.length) bytes[position] = value;
          else if (kind === 'insert') bytes.splice(position, 0, value);
          else if (kind === 'delete') bytes.splice(position, 1);
        }
        const mutated = Buffer.from(cut === null ? bytes : bytes.slice(0, cut % (bytes.length + 1)));
        decodeOrCodecError(mutated);
      }),
      { numRuns: 3000, seed: 18 },
    );
  });

  it('every action word on the 5.x put decodes or reports, never throws another error', () => {
    const put = fixture('transaction: put with');
    // The first entry's action is the 4-byte form right after the 8-byte txnTime and its 1-byte length.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x3effffff }), (action) => {
        const bytes = Buffer.from(put);
        bytes.writeUInt32BE((action | 0xc0000000) >>> 0, 9);
        decodeOrCodecError(bytes);
      }),
      { numRuns: 2000, seed: 5 },
    );
  });
});
