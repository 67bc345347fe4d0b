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
  /** Harper Pro 5.2 only. */
  SUBSCRIPTION_UPDATE: 147,
  /** Harper Pro 5.2 only. */
  COPY_START: 148,
  /** Harper Pro 5.2 only. */
  COPY_COMPLETE: 149,
} as const;

export type CommandName = keyof typeof Command;

const NAME_BY_CODE = new Map<number, CommandName>(
  Object.entries(Command).map(([name, code]) => [code, name as CommandName]),
);

export function commandName(code: number): CommandName | undefined {
  return NAME_BY_CODE.get(code);
}

/** Audit entry type: `action & 7`. */
export const EntryType = {
  put: 1,
  delete: 2,
  message: 3,
  invalidate: 4,
  patch: 5,
  relocate: 6,
} as const;

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
} as const;

/** Originating operation codes carried with ActionFlag.HAS_ORIGINATING_OPERATION. */
export const OriginatingOperation = { 1: 'insert', 2: 'update', 3: 'upsert' } as const;

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
