/**
 * Audit entries: the records inside a transaction frame (resources/auditStore.ts createAuditEntry/readAuditEntry).
 *
 *   action varint · nodeId varint · tableId varint · keyLength varint · key (ordered-binary) · version float64 ·
 *   [residencyId varint] [previousResidencyId varint] [expiresAt float64] [originatingOperation varint] ·
 *   userLength varint · user · value (rest of the entry; the table's msgpackr encoding)
 */
import { ActionFlag, EntryType, type EntryTypeName, entryTypeName, OriginatingOperation } from './codes.js';
import { type RecordKey, readRecordKey, writeRecordKey } from './keys.js';
import { CodecError, readVarint, writeVarint } from './varint.js';

export interface AuditEntryHeader {
  type: EntryTypeName;
  nodeId: number;
  tableId: number;
  key: RecordKey;
  /** Epoch ms (float64): the record's timestamp for conflict resolution. */
  version: number;
  user?: string;
  residencyId?: number;
  previousResidencyId?: number;
  expiresAt?: number;
  originatingOperation?: 1 | 2 | 3;
  hasBlobs?: boolean;
  /** Extra action bits to set verbatim (e.g. HAS_STRUCTURE_UPDATE); the type and derived flags are added. */
  extraFlags?: number;
}

export interface AuditEntry extends Omit<AuditEntryHeader, 'type' | 'originatingOperation'> {
  type: EntryTypeName | 'unknown';
  /** The raw action word, junk bits included (4.7.29 full-copy entries carry some). */
  action: number;
  hasRecord: boolean;
  hasPartialRecord: boolean;
  originatingOperation?: 'insert' | 'update' | 'upsert' | number;
  /** Encoded record value (a view into the frame); decode it with the table's decoder. */
  value?: Uint8Array;
}

/** The action word for an entry: type, HAS_RECORD / HAS_PARTIAL_RECORD and the optional-field flags. */
export function actionWord(header: AuditEntryHeader, hasValue: boolean): number {
  let action: number = EntryType[header.type];
  // The flag follows the type, as in Harper: a delete may carry a nil value byte and still has no record flag.
  if (hasValue && (header.type === 'put' || header.type === 'message')) action |= ActionFlag.HAS_RECORD;
  if (hasValue && (header.type === 'patch' || header.type === 'invalidate'))
    action |= ActionFlag.HAS_PARTIAL_RECORD;
  if (header.residencyId !== undefined) action |= ActionFlag.HAS_CURRENT_RESIDENCY_ID;
  if (header.previousResidencyId !== undefined) action |= ActionFlag.HAS_PREVIOUS_RESIDENCY_ID;
  if (header.expiresAt !== undefined) action |= ActionFlag.HAS_EXPIRATION;
  if (header.originatingOperation !== undefined) action |= ActionFlag.HAS_ORIGINATING_OPERATION;
  if (header.hasBlobs) action |= ActionFlag.HAS_BLOBS;
  if (header.extraFlags) action |= header.extraFlags;
  return action;
}

/** Writes an action word the way Harper does: one byte when no extended flag is set, else the 4-byte form. */
function writeAction(target: Uint8Array, position: number, action: number): number {
  if (action < 0x80 && (action & ~0xff) === 0) {
    target[position] = action;
    return position + 1;
  }
  const word = (0xc0000000 | action) >>> 0;
  target[position] = word >>> 24;
  target[position + 1] = (word >>> 16) & 0xff;
  target[position + 2] = (word >>> 8) & 0xff;
  target[position + 3] = word & 0xff;
  return position + 4;
}

/** Upper bound of the header bytes an entry needs before its value (key given as its encoded length). */
export function entryHeaderBound(keyLength: number, userLength = 0): number {
  // action 4 + nodeId 5 + tableId 5 + keyLen 2 + key + version 8 + residency 5+5 + expires 8 + op 5 + userLen 2 + user
  return 49 + keyLength + userLength;
}

const userEncoder = new TextEncoder();

/**
 * Writes the entry header (everything before the value) at `position`; returns the position where the value goes.
 * The caller guarantees `entryHeaderBound` bytes of room.
 */
export function writeEntryHeader(
  target: Uint8Array,
  position: number,
  header: AuditEntryHeader,
  hasValue: boolean,
  view: DataView,
): number {
  let pos = writeAction(target, position, actionWord(header, hasValue));
  pos = writeVarint(target, pos, header.nodeId);
  pos = writeVarint(target, pos, header.tableId);
  // Key length is a varint in front of the key: write the key one byte on, then widen if it did not fit 1 byte.
  const keyEnd = writeRecordKey(header.key, target, pos + 1);
  const keyLength = keyEnd - pos - 1;
  if (keyLength >= 0x4000)
    throw new RangeError(`record key of ${keyLength} B exceeds Harper's limit of 16383 B`);
  if (keyLength < 0x80) {
    target[pos] = keyLength;
    pos = keyEnd;
  } else {
    target.copyWithin(pos + 2, pos + 1, keyEnd);
    pos = writeVarint(target, pos, keyLength) + keyLength;
  }
  view.setFloat64(pos, header.version);
  pos += 8;
  if (header.residencyId !== undefined) pos = writeVarint(target, pos, header.residencyId);
  if (header.previousResidencyId !== undefined) pos = writeVarint(target, pos, header.previousResidencyId);
  if (header.expiresAt !== undefined) {
    view.setFloat64(pos, header.expiresAt);
    pos += 8;
  }
  if (header.originatingOperation !== undefined) pos = writeVarint(target, pos, header.originatingOperation);
  if (header.user) {
    const user = userEncoder.encode(header.user);
    pos = writeVarint(target, pos, user.length);
    target.set(user, pos);
    pos += user.length;
  } else {
    target[pos++] = 0;
  }
  return pos;
}

const userDecoder = new TextDecoder();

/** Decodes one audit entry occupying `source[start, end)`. */
export function readAuditEntry(source: Uint8Array, start: number, end: number): AuditEntry {
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  let pos = start;
  const action = readVarint(source, pos, end);
  pos = action.next;
  const nodeId = readVarint(source, pos, end);
  pos = nodeId.next;
  const tableId = readVarint(source, pos, end);
  pos = tableId.next;
  const keyLength = readVarint(source, pos, end);
  pos = keyLength.next;
  if (pos + keyLength.value + 8 > end) throw new CodecError('audit entry key runs past the entry', pos);
  let key: RecordKey;
  try {
    key = readRecordKey(source, pos, pos + keyLength.value) as RecordKey;
  } catch (error) {
    throw new CodecError(`unreadable record key: ${(error as Error).message}`, pos);
  }
  pos += keyLength.value;
  const version = view.getFloat64(pos);
  pos += 8;
  const flags = action.value;
  const entry: AuditEntry = {
    type: entryTypeName(flags & 7) ?? 'unknown',
    action: flags,
    nodeId: nodeId.value,
    tableId: tableId.value,
    key,
    version,
    hasRecord: (flags & ActionFlag.HAS_RECORD) !== 0,
    hasPartialRecord: (flags & ActionFlag.HAS_PARTIAL_RECORD) !== 0,
  };
  if (flags & ActionFlag.HAS_CURRENT_RESIDENCY_ID) {
    const r = readVarint(source, pos, end);
    entry.residencyId = r.value;
    pos = r.next;
  }
  if (flags & ActionFlag.HAS_PREVIOUS_RESIDENCY_ID) {
    const r = readVarint(source, pos, end);
    entry.previousResidencyId = r.value;
    pos = r.next;
  }
  if (flags & ActionFlag.HAS_EXPIRATION) {
    if (pos + 8 > end) throw new CodecError('expiration runs past the entry', pos);
    entry.expiresAt = view.getFloat64(pos);
    pos += 8;
  }
  if (flags & ActionFlag.HAS_ORIGINATING_OPERATION) {
    const r = readVarint(source, pos, end);
    entry.originatingOperation = OriginatingOperation[r.value as 1 | 2 | 3] ?? r.value;
    pos = r.next;
  }
  if (flags & ActionFlag.HAS_BLOBS) entry.hasBlobs = true;
  if (flags & ActionFlag.HAS_STRUCTURE_UPDATE) entry.extraFlags = ActionFlag.HAS_STRUCTURE_UPDATE;
  // Tolerate an entry that ends right after its fixed fields (no user length byte).
  if (pos < end) {
    const userLength = readVarint(source, pos, end);
    pos = userLength.next;
    if (pos + userLength.value > end) throw new CodecError('user name runs past the entry', pos);
    if (userLength.value > 0) entry.user = userDecoder.decode(source.subarray(pos, pos + userLength.value));
    pos += userLength.value;
  }
  if ((entry.hasRecord || entry.hasPartialRecord) && pos < end) entry.value = source.subarray(pos, end);
  return entry;
}
