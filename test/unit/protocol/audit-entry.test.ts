import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AuditEntryHeader,
  actionWord,
  entryHeaderBound,
  readAuditEntry,
  writeEntryHeader,
} from '../../../src/protocol/audit-entry.js';
import { ActionFlag } from '../../../src/protocol/codes.js';
import { encodeRecordKey } from '../../../src/protocol/keys.js';
import { expectCodecError } from '../support.js';

function writeEntry(header: AuditEntryHeader, value?: Uint8Array): Buffer {
  const keyLength = encodeRecordKey(header.key).length;
  const size = entryHeaderBound(keyLength, Buffer.byteLength(header.user ?? '')) + (value?.length ?? 0);
  // ordered-binary's writeKey needs the target's length rounded up to 4 bytes to lie inside its ArrayBuffer.
  const target = Buffer.alloc(Math.ceil(size / 4) * 4);
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  let pos = writeEntryHeader(target, 0, header, value !== undefined, view);
  if (value) {
    target.set(value, pos);
    pos += value.length;
  }
  return target.subarray(0, pos);
}

describe('audit entries', () => {
  it('action words: type plus derived flags', () => {
    const base = { nodeId: 0, tableId: 1, key: 1, version: 1 };
    assert.equal(actionWord({ ...base, type: 'put' }, true), 0x11);
    assert.equal(actionWord({ ...base, type: 'patch' }, true), 0x25);
    assert.equal(actionWord({ ...base, type: 'invalidate' }, true), 0x24);
    assert.equal(actionWord({ ...base, type: 'message' }, true), 0x13);
    assert.equal(actionWord({ ...base, type: 'relocate' }, false), 6);
    assert.equal(
      actionWord(
        {
          ...base,
          type: 'put',
          residencyId: 1,
          previousResidencyId: 2,
          expiresAt: 3,
          originatingOperation: 3,
        },
        true,
      ),
      0x11 | 0x200 | 0x400 | 0x1000 | 0x800,
    );
    assert.equal(actionWord({ ...base, type: 'put', hasBlobs: true, extraFlags: 0x100 }, true), 0x2111);
  });

  it('a delete is the bare type 2 like Harper writes it, whether or not a trailing c0 follows', () => {
    const base = { nodeId: 0, tableId: 1, key: '2', version: 1 };
    assert.equal(actionWord({ ...base, type: 'delete' }, false), 2);
    assert.equal(actionWord({ ...base, type: 'delete' }, true), 2);
  });

  it('writes the live upsert header of PROTOCOL §3.4 byte for byte', () => {
    const version = Buffer.from('427a2019a74fe266', 'hex').readDoubleBE(0);
    const bytes = writeEntry(
      { type: 'put', nodeId: 0, tableId: 1, key: 1, version, originatingOperation: 3, user: 'admin' },
      Buffer.from([0x20]),
    );
    assert.equal(
      bytes.toString('hex'),
      'c0000811000104' + '13ff0000' + '427a2019a74fe266' + '03' + '0561646d696e' + '20',
    );
  });

  it('round-trips headers through readAuditEntry', () => {
    const headers: AuditEntryHeader[] = [
      { type: 'put', nodeId: 0, tableId: 1, key: 1, version: 1.5 },
      { type: 'put', nodeId: 200, tableId: 70000, key: 'abc', version: 1795327117408.25, user: 'admin' },
      { type: 'message', nodeId: 1, tableId: 2, key: [1, 'a'], version: 2 },
      { type: 'invalidate', nodeId: 1, tableId: 2, key: 1000, version: 3, residencyId: 9 },
      {
        type: 'relocate',
        nodeId: 1,
        tableId: 2,
        key: 'k',
        version: 4,
        previousResidencyId: 0x3fff,
        expiresAt: 99.5,
      },
      {
        type: 'put',
        nodeId: 3,
        tableId: 4,
        key: 'x'.repeat(300),
        version: 5,
        originatingOperation: 1,
        hasBlobs: true,
      },
    ];
    for (const header of headers) {
      const value = header.type === 'relocate' ? undefined : Buffer.from([0x93, 1, 2, 3]);
      const bytes = writeEntry(header, value);
      const entry = readAuditEntry(bytes, 0, bytes.length);
      assert.equal(entry.type, header.type);
      assert.equal(entry.nodeId, header.nodeId);
      assert.equal(entry.tableId, header.tableId);
      assert.deepEqual(entry.key, header.key);
      assert.equal(entry.version, header.version);
      assert.equal(entry.user, header.user);
      assert.equal(entry.residencyId, header.residencyId);
      assert.equal(entry.previousResidencyId, header.previousResidencyId);
      assert.equal(entry.expiresAt, header.expiresAt);
      assert.equal(entry.originatingOperation, header.originatingOperation === 1 ? 'insert' : undefined);
      assert.equal(entry.hasBlobs, header.hasBlobs);
      assert.deepEqual(entry.value ? Buffer.from(entry.value) : undefined, value);
    }
  });

  it('decodes the 4.7.29 full-copy action with junk high bits by masking', () => {
    // LIVE action 0x0E000011, written as the 4-byte varint 0xC0000000 | action = ce000011.
    const bytes = Buffer.from(
      'ce000011' + '00' + '01' + '04' + '13ff0000' + '427a2019a74fe266' + '00' + 'c3',
      'hex',
    );
    const entry = readAuditEntry(bytes, 0, bytes.length);
    assert.equal(entry.action, 0x0e000011);
    assert.equal(entry.type, 'put');
    assert.equal(entry.hasRecord, true);
    assert.equal(entry.key, 1);
    assert.deepEqual(Buffer.from(entry.value!), Buffer.from([0xc3]));
  });

  it('unknown type codes decode as "unknown"', () => {
    // Nibble 10 is unassigned in every known version.
    const bytes = Buffer.from('0a00010131' + '0000000000000000' + '00', 'hex');
    const entry = readAuditEntry(bytes, 0, bytes.length);
    assert.equal(entry.type, 'unknown');
    assert.equal(entry.undecoded?.reason, 'unknown entry type 10');
    assert.equal(entry.undecoded?.offset, 0);
  });

  it('tolerates an entry that ends right after the version', () => {
    const bytes = Buffer.from('1100010131' + '427a2019a74fe266', 'hex');
    const entry = readAuditEntry(bytes, 0, bytes.length);
    assert.equal(entry.user, undefined);
    assert.equal(entry.value, undefined);
    assert.equal(entry.key, '1');
  });

  it('marks HAS_STRUCTURE_UPDATE in extraFlags', () => {
    const bytes = writeEntry(
      { type: 'put', nodeId: 0, tableId: 1, key: 1, version: 1, extraFlags: ActionFlag.HAS_STRUCTURE_UPDATE },
      Buffer.from([0xc0]),
    );
    assert.equal(readAuditEntry(bytes, 0, bytes.length).extraFlags, ActionFlag.HAS_STRUCTURE_UPDATE);
  });

  it('a user name running past the entry throws CodecError', () => {
    const bytes = Buffer.from('1100010131' + '427a2019a74fe266' + '0561', 'hex');
    const error = expectCodecError(() => readAuditEntry(bytes, 0, bytes.length));
    assert.equal(error.offset, 14);
  });

  it('keys longer than 0x3fff bytes are refused or round-trip, never silently corrupted', () => {
    // Harper's key length prefix has at most 2 bytes (it logs "Key or username was too large" beyond 0x3fff).
    const key = 'k'.repeat(0x4000);
    const target = Buffer.alloc(Math.ceil(entryHeaderBound(0x4000 + 8) / 4) * 4);
    const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
    let end: number;
    try {
      end = writeEntryHeader(target, 0, { type: 'put', nodeId: 0, tableId: 1, key, version: 7 }, false, view);
    } catch (error) {
      assert.ok(error instanceof Error);
      return;
    }
    const entry = readAuditEntry(target, 0, end);
    assert.equal((entry.key as string).length, key.length, 'key length survives');
    assert.equal(entry.key, key);
    assert.equal(entry.version, 7);
  });
});
