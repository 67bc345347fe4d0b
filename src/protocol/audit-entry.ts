/**
 * Audit entries: the records inside a transaction frame (resources/auditStore.ts createAuditEntry/readAuditEntry).
 *
 *   action varint · nodeId varint · tableId varint · keyLength varint · key (ordered-binary) · version float64 ·
 *   [residencyId varint] [previousResidencyId varint] [expiresAt float64] [originatingOperation varint] ·
 *   [additional audit refs: count byte · count × (version float64 · nodeId varint)] (newer core, flag 0x4000) ·
 *   userLength varint · user · value (rest of the entry; the table's msgpackr encoding)
 *
 * An entry this codec cannot fully read (an unknown type nibble, a flag bit that may announce an unknown field,
 * bytes left over where none belong) still decodes as far as it can and carries `undecoded` with the offset and
 * bytes it could not account for: never a silent misparse.
 */
import {
  ActionFlag,
  EntryType,
  type EntryTypeName,
  entryTypeName,
  KNOWN_ACTION_BITS,
  OriginatingOperation,
} from './codes.js';
import { type RecordKey, readRecordKey, writeNumberKey, writeRecordKey } from './keys.js';
import { CodecError, readVarint, varintSize, writeVarint } from './varint.js';

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
  originatingOperation?: 1 | 2 | 3 | 4;
  hasBlobs?: boolean;
  /** Newer core (flag 0x4000): earlier versions of the record this entry supersedes, by origin node. */
  additionalAuditRefs?: AdditionalAuditRef[];
  /** Extra action bits to set verbatim (e.g. HAS_STRUCTURE_UPDATE); the type and derived flags are added. */
  extraFlags?: number;
}

/** What the entries of writePutHeader share within a frame (make it with putFields). */
export interface PutFields {
  /** Epoch ms (float64), as AuditEntryHeader.version. */
  version: number;
  /** The bytes before the key: action (HAS_BLOBS or not), node id, table id. */
  prefix: Uint8Array;
}

/** The fields of a frame's put headers, their shared leading bytes encoded once. */
export function putFields(nodeId: number, tableId: number, version: number, hasBlobs = false): PutFields {
  const bytes = new Uint8Array(14);
  const action = hasBlobs ? PUT_WITH_BLOBS_ACTION : PUT_ACTION;
  const end = writeVarint(bytes, writeVarint(bytes, writeAction(bytes, 0, action), nodeId), tableId);
  return { version, prefix: bytes.slice(0, end) };
}

export interface AdditionalAuditRef {
  version: number;
  nodeId: number;
}

/** What part of an entry could not be decoded, and its bytes (offsets are into the buffer given to the reader). */
export interface UndecodedPart {
  reason: string;
  offset: number;
  hex: string;
}

export interface AuditEntry extends Omit<AuditEntryHeader, 'type' | 'originatingOperation'> {
  type: EntryTypeName | 'unknown';
  /** The raw action word, junk bits included (4.7.29 full-copy entries carry some). */
  action: number;
  hasRecord: boolean;
  hasPartialRecord: boolean;
  originatingOperation?: 'insert' | 'update' | 'upsert' | 'put' | number;
  /** Newer core LOCAL_ONLY (0x8000): a sender should never have forwarded it. */
  localOnly?: boolean;
  /** Present when some of the entry could not be decoded (see the module comment). */
  undecoded?: UndecodedPart;
  /** Encoded record value (a view into the frame); decode it with the table's decoder. */
  value?: Uint8Array;
}

/** Types whose value is a whole record (auditStore EVENT_TYPES: `X | HAS_RECORD`). */
const RECORD_TYPES: ReadonlySet<EntryTypeName> = new Set(['put', 'message', 'lockRelease', 'lockBarrier']);

/** The action word for an entry: type, HAS_RECORD / HAS_PARTIAL_RECORD and the optional-field flags. */
export function actionWord(header: AuditEntryHeader, hasValue: boolean): number {
  let action: number = EntryType[header.type];
  // The flag follows the type, as in Harper: a delete may carry a nil value byte and still has no record flag.
  if (hasValue && RECORD_TYPES.has(header.type)) action |= ActionFlag.HAS_RECORD;
  if (hasValue && (header.type === 'patch' || header.type === 'invalidate'))
    action |= ActionFlag.HAS_PARTIAL_RECORD;
  if (header.residencyId !== undefined) action |= ActionFlag.HAS_CURRENT_RESIDENCY_ID;
  if (header.previousResidencyId !== undefined) action |= ActionFlag.HAS_PREVIOUS_RESIDENCY_ID;
  if (header.expiresAt !== undefined) action |= ActionFlag.HAS_EXPIRATION;
  if (header.originatingOperation !== undefined) action |= ActionFlag.HAS_ORIGINATING_OPERATION;
  if (header.hasBlobs) action |= ActionFlag.HAS_BLOBS;
  if (header.additionalAuditRefs !== undefined) action |= ActionFlag.HAS_ADDITIONAL_AUDIT_REFS;
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

/** Bytes the additional audit refs take (count byte and each version + node id). */
export function additionalRefsLength(refs: AdditionalAuditRef[] | undefined): number {
  if (refs === undefined) return 0;
  return refs.reduce((sum, ref) => sum + 8 + varintSize(ref.nodeId), 1);
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
  if (header.additionalAuditRefs !== undefined)
    pos = writeAdditionalRefs(target, pos, header.additionalAuditRefs, view);
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

/**
 * The synthesizer's hot path: the header of a `put` entry with a number key and no optional field or user, byte for
 * byte what writeEntryHeader writes for `{type: 'put', nodeId, tableId, key, version, hasBlobs}` with a value (tests
 * compare the two), without a header object to build and inspect per entry. Same room guarantee as writeEntryHeader.
 */
export function writePutHeader(
  target: Uint8Array,
  position: number,
  view: DataView,
  fields: PutFields,
  key: number,
): number {
  const prefix = fields.prefix;
  let pos = position;
  for (let i = 0; i < prefix.length; i++) target[pos++] = prefix[i]!;
  // A number key is 4–9 bytes (ordered-binary): its length always fits the 1-byte varint.
  const keyEnd = writeNumberKey(key, target, pos + 1, view);
  target[pos] = keyEnd - pos - 1;
  view.setFloat64(keyEnd, fields.version);
  target[keyEnd + 8] = 0;
  return keyEnd + 9;
}

const PUT_ACTION = EntryType.put | ActionFlag.HAS_RECORD;
const PUT_WITH_BLOBS_ACTION = PUT_ACTION | ActionFlag.HAS_BLOBS;

function writeAdditionalRefs(
  target: Uint8Array,
  position: number,
  refs: AdditionalAuditRef[],
  view: DataView,
): number {
  // One count byte, as newer core writes it.
  if (refs.length > 0xff)
    throw new RangeError(`${refs.length} additional audit refs exceed the count byte (255)`);
  let pos = position;
  target[pos++] = refs.length;
  for (const ref of refs) {
    view.setFloat64(pos, ref.version);
    pos = writeVarint(target, pos + 8, ref.nodeId);
  }
  return pos;
}

const userDecoder = new TextDecoder();
const hex = (source: Uint8Array, start: number, end: number): string =>
  Buffer.from(source.buffer, source.byteOffset + start, Math.max(0, end - start)).toString('hex');

/** The fixed fields before the optional ones: action, node id, table id, key, version. */
function readFixedFields(source: Uint8Array, start: number, end: number, view: DataView) {
  const action = readVarint(source, start, end);
  const nodeId = readVarint(source, action.next, end);
  const tableId = readVarint(source, nodeId.next, end);
  const keyLength = readVarint(source, tableId.next, end);
  let pos = keyLength.next;
  if (pos + keyLength.value + 8 > end) throw new CodecError('audit entry key runs past the entry', pos);
  let key: RecordKey;
  try {
    key = readRecordKey(source, pos, pos + keyLength.value) as RecordKey;
  } catch (error) {
    throw new CodecError(`unreadable record key: ${(error as Error).message}`, pos);
  }
  pos += keyLength.value;
  const version = view.getFloat64(pos);
  return { action: action.value, nodeId: nodeId.value, tableId: tableId.value, key, version, next: pos + 8 };
}

/** Reads the flag-announced fields in their order; returns the position after them. */
function readOptionalFields(
  source: Uint8Array,
  position: number,
  end: number,
  entry: AuditEntry,
  view: DataView,
) {
  const flags = entry.action;
  let pos = position;
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
    entry.originatingOperation = OriginatingOperation[r.value as 1 | 2 | 3 | 4] ?? r.value;
    pos = r.next;
  }
  if (flags & ActionFlag.HAS_ADDITIONAL_AUDIT_REFS) pos = readAdditionalRefs(source, pos, end, entry, view);
  return pos;
}

function readAdditionalRefs(
  source: Uint8Array,
  position: number,
  end: number,
  entry: AuditEntry,
  view: DataView,
) {
  if (position >= end) throw new CodecError('additional audit refs count runs past the entry', position);
  const count = source[position]!;
  let pos = position + 1;
  const refs: AdditionalAuditRef[] = [];
  for (let i = 0; i < count; i++) {
    if (pos + 8 > end)
      throw new CodecError(`additional audit ref ${i + 1} of ${count} runs past the entry`, pos);
    const version = view.getFloat64(pos);
    const nodeId = readVarint(source, pos + 8, end);
    refs.push({ version, nodeId: nodeId.value });
    pos = nodeId.next;
  }
  entry.additionalAuditRefs = refs;
  return pos;
}

/** Why this entry's layout may hold bytes this codec does not know how to place, if it may. */
function layoutDoubt(entry: AuditEntry): string | undefined {
  const unknownBits = entry.action & 0xffff & ~KNOWN_ACTION_BITS;
  return unknownBits ? `unknown action flag bits 0x${unknownBits.toString(16)}` : undefined;
}

/** Decodes one audit entry occupying `source[start, end)`. Throws CodecError only when its framing is broken. */
export function readAuditEntry(source: Uint8Array, start: number, end: number): AuditEntry {
  const view = new DataView(source.buffer, source.byteOffset, source.byteLength);
  const fixed = readFixedFields(source, start, end, view);
  const flags = fixed.action;
  const entry: AuditEntry = {
    type: entryTypeName(flags & 0xf) ?? 'unknown',
    action: flags,
    nodeId: fixed.nodeId,
    tableId: fixed.tableId,
    key: fixed.key,
    version: fixed.version,
    hasRecord: (flags & ActionFlag.HAS_RECORD) !== 0,
    hasPartialRecord: (flags & ActionFlag.HAS_PARTIAL_RECORD) !== 0,
  };
  const doubt = layoutDoubt(entry);
  let pos = fixed.next;
  try {
    pos = readOptionalFields(source, pos, end, entry, view);
  } catch (error) {
    // With a doubtful layout the fields may simply not be where we look: report, do not fail the frame.
    if (!doubt) throw error;
    entry.undecoded = { reason: doubt, offset: pos, hex: hex(source, pos, end) };
    return entry;
  }
  if (flags & ActionFlag.HAS_BLOBS) entry.hasBlobs = true;
  if (flags & ActionFlag.HAS_STRUCTURE_UPDATE) entry.extraFlags = ActionFlag.HAS_STRUCTURE_UPDATE;
  if (flags & ActionFlag.LOCAL_ONLY) entry.localOnly = true;
  if (doubt) {
    // Unknown bits may announce a field placed before the user name: the rest cannot be trusted.
    entry.undecoded = { reason: doubt, offset: pos, hex: hex(source, pos, end) };
    return entry;
  }
  pos = readUser(source, pos, end, entry);
  if (entry.type === 'unknown')
    entry.undecoded = {
      reason: `unknown entry type ${flags & 0xf}`,
      offset: start,
      hex: hex(source, start, end),
    };
  else if (pos < end) {
    if (entry.hasRecord || entry.hasPartialRecord) entry.value = source.subarray(pos, end);
    else if (!(end - pos === 1 && source[pos] === NIL_BYTE))
      entry.undecoded = {
        reason: 'bytes after an entry with no record',
        offset: pos,
        hex: hex(source, pos, end),
      };
  }
  return entry;
}

/** msgpack nil: 4.7 senders may end a record-less entry (a delete) with it. */
const NIL_BYTE = 0xc0;

function readUser(source: Uint8Array, position: number, end: number, entry: AuditEntry): number {
  // Tolerate an entry that ends right after its fixed fields (no user length byte).
  if (position >= end) return position;
  const userLength = readVarint(source, position, end);
  const pos = userLength.next;
  if (pos + userLength.value > end) throw new CodecError('user name runs past the entry', pos);
  if (userLength.value > 0) entry.user = userDecoder.decode(source.subarray(pos, pos + userLength.value));
  return pos + userLength.value;
}
