import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActionFlag,
  BLOB_CHUNK_SIZE,
  Command,
  commandName,
  EntryType,
  entryTypeName,
  SEQUENCE_TAIL_LENGTH,
  SEQUENCE_TAIL_MARKER,
} from '../../../src/protocol/codes.js';

describe('protocol codes', () => {
  it('command codes match PROTOCOL §3.2', () => {
    assert.equal(Command.SUBSCRIPTION_REQUEST, 129);
    assert.equal(Command.TABLE_FIXED_STRUCTURE, 132);
    assert.equal(Command.NODE_NAME, 140);
    assert.equal(Command.COMMITTED_UPDATE, 144);
    assert.equal(Command.BLOB_CHUNK, 146);
    assert.equal(Command.COPY_COMPLETE, 149);
    assert.equal(commandName(141), 'NODE_NAME_TO_ID_MAP');
    assert.equal(commandName(131), undefined);
    assert.equal(new Set(Object.values(Command)).size, Object.keys(Command).length, 'codes are unique');
  });

  it('entry types and flags match PROTOCOL §3.4', () => {
    assert.equal(EntryType.put, 1);
    assert.equal(entryTypeName(2), 'delete');
    assert.equal(entryTypeName(6), 'relocate');
    assert.equal(entryTypeName(0), undefined);
    // Newer core names the whole low nibble (auditStore.ts EVENT_TYPES); 10, 14, 15 stay unassigned.
    assert.equal(entryTypeName(7), 'structures');
    assert.equal(entryTypeName(9), 'evict');
    assert.equal(entryTypeName(12), 'lockRelease');
    assert.equal(entryTypeName(13), 'lockBarrier');
    assert.equal(entryTypeName(10), undefined);
    assert.equal(ActionFlag.HAS_ADDITIONAL_AUDIT_REFS, 0x4000);
    assert.equal(ActionFlag.LOCAL_ONLY, 0x8000);
    assert.equal(ActionFlag.HAS_RECORD, 16);
    assert.equal(ActionFlag.HAS_BLOBS, 0x2000);
    assert.equal(SEQUENCE_TAIL_LENGTH, 9);
    assert.equal(SEQUENCE_TAIL_MARKER, 0x0b);
    assert.equal(BLOB_CHUNK_SIZE, 0x40000);
  });
});
