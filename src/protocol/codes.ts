/**
 * Numbers of Harper's native replication protocol (subprotocol `harperdb-replication-v1`).
 * Values checked against a live harperdb 4.7.29 and read from Harper Pro 5.2's source
 * (replication/replicationConnection.ts, resources/auditStore.ts).
 */

export const SUBPROTOCOL = 'harperdb-replication-v1';

/** First element of a control frame (a MessagePack array). A first byte ≤ 127 marks a transaction frame instead. */
export const Command = {
  SUBSCRIPTION_REQUEST: 129,
  RESIDENCY_LIST: 130,
  TABLE_FIXED_STRUCTURE: 132,
  GET_RECORD: 133,
  GET_RECORD_RESPONSE: 134,
  OPERATION_REQUEST: 136,
  OPERATION_RESPONSE: 137,
  NODE_NAME: 140,
  NODE_NAME_TO_ID_MAP: 141,
  DISCONNECT: 142,
  SEQUENCE_ID_UPDATE: 143,
  COMMITTED_UPDATE: 144,
  DB_SCHEMA: 145,
  BLOB_CHUNK: 146,
  /** Harper Pro 5.x only (replicationConnection.ts: SUBSCRIPTION_UPDATE = 147). */
  SUBSCRIPTION_UPDATE: 147,
  /** Harper Pro 5.x only: `[148, copyStartTime, copyOrderVersion]` before a full copy. */
  COPY_START: 148,
  /** Harper Pro 5.x only: `[149]` after a full copy. */
  COPY_COMPLETE: 149,
} as const;

export type CommandName = keyof typeof Command;

const NAME_BY_CODE = new Map<number, CommandName>(
  Object.entries(Command).map(([name, code]) => [code, name as CommandName]),
);

export function commandName(code: number): CommandName | undefined {
  return NAME_BY_CODE.get(code);
}

/**
 * Audit entry type: the low nibble, `action & 0xf` (newer core reads `& 0xf`; 4.7.29 read `& 7`, and bit 3 was
 * always clear there, so both agree on every 4.7 entry). 7, 8 and 11 are local markers a sender filters out;
 * 9 (evict), 12 and 13 (cluster lock entries) are newer core types; 10, 14 and 15 are unassigned.
 */
export const EntryType = {
  put: 1,
  delete: 2,
  message: 3,
  invalidate: 4,
  patch: 5,
  relocate: 6,
  structures: 7,
  reload: 8,
  evict: 9,
  remoteSequenceUpdate: 11,
  lockRelease: 12,
  lockBarrier: 13,
} as const;

/** Entry types newer than 4.7.29 (a 4.7.29 reader names them undefined). */
export const ENTRY_TYPES_SINCE_5: ReadonlySet<EntryTypeName> = new Set([
  'structures',
  'reload',
  'evict',
  'remoteSequenceUpdate',
  'lockRelease',
  'lockBarrier',
]);

export type EntryTypeName = keyof typeof EntryType;

const TYPE_BY_CODE = new Map<number, EntryTypeName>(
  Object.entries(EntryType).map(([name, code]) => [code, name as EntryTypeName]),
);

export function entryTypeName(code: number): EntryTypeName | undefined {
  return TYPE_BY_CODE.get(code);
}

/** Bits of the audit entry action word (resources/auditStore.ts). */
export const ActionFlag = {
  HAS_RECORD: 0x10,
  HAS_PARTIAL_RECORD: 0x20,
  HAS_PREVIOUS_VERSION: 0x40,
  HAS_EXTENDED_TYPE: 0x80,
  HAS_STRUCTURE_UPDATE: 0x100,
  HAS_CURRENT_RESIDENCY_ID: 0x200,
  HAS_PREVIOUS_RESIDENCY_ID: 0x400,
  HAS_ORIGINATING_OPERATION: 0x800,
  HAS_EXPIRATION: 0x1000,
  HAS_BLOBS: 0x2000,
  /** Newer core: a count byte then n × (float64 version, varint node id) before the user name. */
  HAS_ADDITIONAL_AUDIT_REFS: 0x4000,
  /** Newer core: never forwarded to peers (a sender filters it; seeing one on the wire is itself news). */
  LOCAL_ONLY: 0x8000,
} as const;

/**
 * The flag bits a reader of today's layouts understands (the type nibble included). Any other bit below 0x10000 may
 * announce a field this codec does not know, so an entry carrying one is reported as not fully decoded. Bits from
 * 0x10000 up carry no field in any known version (4.7.29 full-copy entries set some: 0x0e000000).
 */
export const KNOWN_ACTION_BITS =
  0xf |
  ActionFlag.HAS_RECORD |
  ActionFlag.HAS_PARTIAL_RECORD |
  ActionFlag.HAS_STRUCTURE_UPDATE |
  ActionFlag.HAS_CURRENT_RESIDENCY_ID |
  ActionFlag.HAS_PREVIOUS_RESIDENCY_ID |
  ActionFlag.HAS_ORIGINATING_OPERATION |
  ActionFlag.HAS_EXPIRATION |
  ActionFlag.HAS_BLOBS |
  ActionFlag.HAS_ADDITIONAL_AUDIT_REFS |
  ActionFlag.LOCAL_ONLY;

/** Originating operation codes carried with ActionFlag.HAS_ORIGINATING_OPERATION. */
export const OriginatingOperation = { 1: 'insert', 2: 'update', 3: 'upsert', 4: 'put' } as const;

/** The 9-byte pseudo-entry that ends a transaction frame: `09 0b <float64 sequence id>`. */
export const SEQUENCE_TAIL_MARKER = 0x0b;
export const SEQUENCE_TAIL_LENGTH = 9;

/** Harper sends blob content in pieces of this size (resources/blob.ts read buffer). */
export const BLOB_CHUNK_SIZE = 256 * 1024;

/** msgpack extension type of a Harper blob reference. */
export const BLOB_EXTENSION_TYPE = 11;

/** ws's default maxPayload: what Harper 4.7 accepts on connections it opened (peer mode). */
export const PEER_MODE_MAX_FRAME = 100 * 1024 * 1024;
/** What Harper's replication server accepts (push mode). */
export const PUSH_MODE_MAX_FRAME = 10 * 1024 ** 3;
